/**
 * The Istio releases this operator installs, one entry per minor version,
 * each pinned to its newest patch. Everything that differs between
 * releases is keyed by the minor here: the default image tag, the CRDs'
 * source module, and the facts translate/ puts on the plan. A minor not in
 * this table is refused with the list of the ones that are.
 *
 * Support windows follow Istio's policy: a minor is supported until six
 * weeks after the next-but-one minor is released. Lines past that stay
 * installable (users still run them) and `istio-operator version` marks
 * them end of life. Dates as of 2026-12-07.
 */

/** A carried minor version, `1.27` … `1.31`. */
export type IstioMinor = '1.27' | '1.28' | '1.29' | '1.30' | '1.31';

/** One supported Istio release line. */
export interface IstioRelease {
  /** `major.minor`. */
  minor: IstioMinor;
  /** The newest patch this build knows (the default tag when the minor is chosen but no tag is). */
  patch: string;
  /** Whether Istio still supports the line (shown by `istio-operator version`; unsupported lines still install). */
  supported: boolean;
  /**
   * When Istio's support ends or ended: a date (`2026-10-12`, approximate
   * where Istio announced none) or the event it waits for.
   */
  supportEnds: string;
  /** The `compatibilityVersion` values the line's charts ship a profile for. */
  compatibilityVersions: readonly string[];
}

/** Every release line, oldest first. */
export const RELEASES: readonly IstioRelease[] = [
  {
    minor: '1.27',
    patch: '1.27.9',
    supported: false,
    supportEnds: '≈ 2026-03',
    compatibilityVersions: ['1.24', '1.25', '1.26'],
  },
  {
    minor: '1.28',
    patch: '1.28.10',
    supported: false,
    supportEnds: '≈ 2026-07',
    compatibilityVersions: ['1.25', '1.26', '1.27'],
  },
  {
    minor: '1.29',
    patch: '1.29.8',
    supported: false,
    supportEnds: '≈ 2026-10-12',
    compatibilityVersions: ['1.25', '1.26', '1.27', '1.28'],
  },
  {
    minor: '1.30',
    patch: '1.30.8',
    supported: true,
    supportEnds: 'six weeks after 1.32.0 (≈ 2027-01)',
    compatibilityVersions: ['1.25', '1.26', '1.27', '1.28', '1.29'],
  },
  {
    minor: '1.31',
    patch: '1.31.4',
    supported: true,
    supportEnds: 'six weeks after 1.33.0',
    compatibilityVersions: ['1.25', '1.26', '1.27', '1.28', '1.29', '1.30'],
  },
];

/**
 * Istio lines released but not carried by this build (no sources to check
 * them against yet): refused with a message that names the newest line
 * carried, rather than as an unknown version.
 */
export const KNOWN_NEWER_MINORS: readonly string[] = ['1.32'];

/** The release an IstioOperator gets when nothing names one: the newest line. */
export const DEFAULT_RELEASE: IstioRelease = RELEASES[RELEASES.length - 1]!;

/** The release line of a `major.minor`, or undefined when this build does not carry it. */
export function releaseOfMinor(minor: string): IstioRelease | undefined {
  return RELEASES.find((r) => r.minor === minor);
}

/** `1.27, 1.28, 1.29, 1.30, 1.31`: for messages that list what is accepted. */
export function releaseList(): string {
  return RELEASES.map((r) => r.minor).join(', ');
}

/** Whether release a is older than release b. */
export function isOlder(a: IstioRelease, b: IstioRelease): boolean {
  return RELEASES.indexOf(a) < RELEASES.indexOf(b);
}
