/**
 * The Istio releases this operator installs, one entry per minor version,
 * each pinned to its newest patch. Everything that differs between
 * releases is keyed by the minor here: the default image tag, the CRDs'
 * source module, and the facts translate/ puts on the plan. A minor not in
 * this table is refused with the list of the ones that are.
 *
 * Support windows (Istio supports a minor until six weeks after the
 * next-but-one is released): 1.27 ended around the end of March 2026 and
 * stays for users who still run it; 1.28 ended around the end of June 2026;
 * 1.29 and 1.30 are supported.
 */

/** A supported minor version, `1.27` … `1.30`. */
export type IstioMinor = '1.27' | '1.28' | '1.29' | '1.30';

/** One supported Istio release line. */
export interface IstioRelease {
  /** `major.minor`. */
  minor: IstioMinor;
  /** The newest patch this build knows (the default tag when the minor is chosen but no tag is). */
  patch: string;
  /** Whether Istio still supports the line (shown by `istio-operator version`; unsupported lines still install). */
  supported: boolean;
  /** The `compatibilityVersion` values the line's charts ship a profile for. */
  compatibilityVersions: readonly string[];
}

/** Every release line, oldest first. */
export const RELEASES: readonly IstioRelease[] = [
  {
    minor: '1.27',
    patch: '1.27.9',
    supported: false,
    compatibilityVersions: ['1.24', '1.25', '1.26'],
  },
  {
    minor: '1.28',
    patch: '1.28.10',
    supported: false,
    compatibilityVersions: ['1.25', '1.26', '1.27'],
  },
  {
    minor: '1.29',
    patch: '1.29.6',
    supported: true,
    compatibilityVersions: ['1.25', '1.26', '1.27', '1.28'],
  },
  {
    minor: '1.30',
    patch: '1.30.3',
    supported: true,
    compatibilityVersions: ['1.25', '1.26', '1.27', '1.28', '1.29'],
  },
];

/** The release an IstioOperator gets when nothing names one: the newest line. */
export const DEFAULT_RELEASE: IstioRelease = RELEASES[RELEASES.length - 1]!;

/** The release line of a `major.minor`, or undefined when this build does not carry it. */
export function releaseOfMinor(minor: string): IstioRelease | undefined {
  return RELEASES.find((r) => r.minor === minor);
}

/** `1.27, 1.28, 1.29, 1.30`: for messages that list what is accepted. */
export function releaseList(): string {
  return RELEASES.map((r) => r.minor).join(', ');
}

/** Whether release a is older than release b. */
export function isOlder(a: IstioRelease, b: IstioRelease): boolean {
  return RELEASES.indexOf(a) < RELEASES.indexOf(b);
}
