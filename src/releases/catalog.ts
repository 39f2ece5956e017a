/**
 * The Istio releases this operator installs, one entry per minor version,
 * each pinned to its newest patch: derived from the line modules in
 * lines/ (one per line, see line.ts). Everything that differs between
 * releases is keyed by the minor here: the default image tag, the CRDs'
 * source module, and the facts translate/ puts on the plan. A minor not in
 * this table is refused with the list of the ones that are.
 *
 * Support windows follow Istio's policy: a minor is supported until six
 * weeks after the next-but-one minor is released. Lines past that stay
 * installable (users still run them) and `istio-operator version` marks
 * them end of life. Dates as of 2026-12-07.
 */
import type { ReleaseLine } from './line.js';
import { LINE as L127 } from './lines/istio-1.27.js';
import { LINE as L128 } from './lines/istio-1.28.js';
import { LINE as L129 } from './lines/istio-1.29.js';
import { LINE as L130 } from './lines/istio-1.30.js';
import { LINE as L131 } from './lines/istio-1.31.js';

export type { IstioMinor } from './line.js';

/** One Istio release line, with what is derived from its module. */
export interface IstioRelease extends ReleaseLine {
  /** The `compatibilityVersion` values the line's charts ship a profile for. */
  compatibilityVersions: readonly string[];
}

const release = (line: ReleaseLine): IstioRelease => ({
  ...line,
  compatibilityVersions: Object.keys(line.compatibility),
});

/** Every release line, oldest first. */
export const RELEASES: readonly IstioRelease[] = [L127, L128, L129, L130, L131].map(release);

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
