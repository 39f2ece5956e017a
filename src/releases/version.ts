/**
 * Istio versions as the operator reasons about them: read from image tags,
 * written into the `operator.istio.io/version` label, and compared to keep
 * upgrades to one minor version at a time. Pure.
 */

/** A parsed Istio release number; patch is undefined for tags such as `1.28-dev`. */
export interface IstioVersion {
  major: number;
  minor: number;
  patch?: number;
}

const LEADING_VERSION = /^v?(\d+)\.(\d+)(?:\.(\d+))?/;
const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * The release number an image tag starts with (`1.27.9`, `1.27.9-distroless`,
 * `1.28-dev` → 1.28), or undefined for tags that name no release (`latest`,
 * a commit hash).
 */
export function parseVersion(tag: string): IstioVersion | undefined {
  const m = LEADING_VERSION.exec(tag);
  if (!m) return undefined;
  return {
    major: Number(m[1]),
    minor: Number(m[2]),
    ...(m[3] !== undefined ? { patch: Number(m[3]) } : {}),
  };
}

/**
 * The value of the `operator.istio.io/version` label for an image tag: the
 * release number it starts with (`1.27.9-distroless` → `1.27.9`), else the
 * tag itself when it is a valid label value, else `unknown`.
 */
export function versionOfTag(tag: string): string {
  const m = LEADING_VERSION.exec(tag);
  if (m) return m[0].replace(/^v/, '');
  return LABEL_VALUE.test(tag) ? tag : 'unknown';
}

function formatVersion(v: IstioVersion): string {
  return v.patch === undefined ? `${v.major}.${v.minor}` : `${v.major}.${v.minor}.${v.patch}`;
}

/** Negative when a < b, 0 when equal, positive when a > b; a missing patch counts as equal. */
export function compareVersions(a: IstioVersion, b: IstioVersion): number {
  if (a.major !== b.major) return a.major - b.major;
  if (a.minor !== b.minor) return a.minor - b.minor;
  if (a.patch === undefined || b.patch === undefined) return 0;
  return a.patch - b.patch;
}

/** Why moving from `from` to `to` is refused; undefined when the step is allowed. */
export interface SkewRefusal {
  kind: 'downgrade' | 'skip';
  from: string;
  to: string;
  message: string;
}

/**
 * Judges an in-place version change. Allowed: the same version, patch
 * upgrades, and one minor version up. Refused: downgrades, and moving more
 * than one minor version (or to another major version) in one step, because
 * Istio supports and tests upgrades one minor version at a time. Versions
 * that name no release (`latest`) cannot be judged and are allowed.
 */
export function judgeVersionChange(from: string, to: string): SkewRefusal | undefined {
  const a = parseVersion(from);
  const b = parseVersion(to);
  if (!a || !b) return undefined;
  const order = compareVersions(b, a);
  if (order < 0) {
    return {
      kind: 'downgrade',
      from,
      to,
      message: `${to} is older than the installed ${from}; downgrades are refused`,
    };
  }
  if (b.major !== a.major || b.minor - a.minor > 1) {
    const next = formatVersion({ major: a.major, minor: a.minor + 1 });
    return {
      kind: 'skip',
      from,
      to,
      message:
        `moving from ${from} to ${to} skips a minor version; upgrade one minor version at a ` +
        `time: set ${next}.x first, wait for HEALTHY, then continue`,
    };
  }
  return undefined;
}
