/**
 * Which Istio release an IstioOperator installs. The minor version comes
 * from the image tag (`spec.tag`, or `values.global.tag`, which wins as
 * values do in istioctl); tags with a suffix (`1.30.3-distroless`) count by
 * their leading number. A component's tag is the user's image choice: it
 * chooses the line only when nothing else names one, and one naming another
 * line is a warning (istioctl renders it without a word). A tag that names
 * no version (`latest`, a digest, a custom build) needs the
 * `install.istio.io/istio-version` annotation to say which release's
 * templates to use. Nothing set: the default release.
 *
 * profiles/ asks it once, of the user's own layer, fills the default tag
 * from the answer and hands the answer to translate/ with the merged
 * IstioOperator (MergedIstioOperator), which puts it on the plan without
 * asking again. Pure.
 */
import { formatPath, getPath } from '../json/path.js';
import { isObject } from '../json/value.js';
import {
  DEFAULT_RELEASE,
  isOlder,
  KNOWN_NEWER_MINORS,
  releaseList,
  releaseOfMinor,
  RELEASES,
  type IstioMinor,
  type IstioRelease,
} from '../releases/catalog.js';
import { has } from '../releases/changes.js';
import { parseVersion } from '../releases/version.js';
import type { Diagnostic } from './types.js';
import { ISTIO_VERSION_ANNOTATION } from './vocabulary.js';

const VERSION_VALUE = /^v?(\d+)\.(\d+)(\.\d+)?$/;

/** Where an image tag may be set, as paths under the IstioOperator. */
function tagSources(spec: Record<string, unknown>): { path: (string | number)[]; tag: unknown }[] {
  const at = (...path: (string | number)[]) => ({
    path: ['spec', ...path],
    tag: getPath(spec, path),
  });
  const out = [
    at('tag'),
    at('values', 'global', 'tag'),
    at('components', 'pilot', 'tag'),
    at('components', 'cni', 'tag'),
    at('components', 'ztunnel', 'tag'),
    at('values', 'pilot', 'tag'),
    at('values', 'cni', 'tag'),
    at('values', 'ztunnel', 'tag'),
  ];
  for (const list of ['ingressGateways', 'egressGateways']) {
    const gws = getPath(spec, ['components', list]);
    if (Array.isArray(gws)) gws.forEach((_, i) => out.push(at('components', list, i, 'tag')));
  }
  return out.filter((s) => s.tag !== undefined && s.tag !== null && s.tag !== '');
}

/** `major.minor` a tag starts with, or undefined when it names no version. */
export function minorOfTag(tag: unknown): string | undefined {
  const v = parseVersion(String(tag));
  return v ? `${v.major}.${v.minor}` : undefined;
}

/** The release chosen, or the errors that prevent choosing one. */
export type ReleaseChoice =
  | { release: IstioRelease; diagnostics?: undefined; warnings: Diagnostic[] }
  | { release?: undefined; diagnostics: Diagnostic[]; warnings?: undefined };

function unsupported(path: string, value: unknown, minor: string): Diagnostic {
  const newer = KNOWN_NEWER_MINORS.includes(minor);
  return {
    severity: 'error',
    path,
    value,
    message: newer
      ? `Istio ${minor} is newer than this operator: the newest line it installs is ${DEFAULT_RELEASE.minor} (${DEFAULT_RELEASE.patch})`
      : `Istio ${minor} is not a version this operator installs`,
    fix: newer
      ? `install ${DEFAULT_RELEASE.minor} (spec.tag: ${DEFAULT_RELEASE.patch}) until an operator release carries ${minor}`
      : `use one of ${releaseList()} (\`istio-operator version\` lists them with their patches)`,
  };
}

/**
 * Chooses the release for an IstioOperator (`metadata` and `spec`, merged
 * or the user's own layer). Errors name the field, the value and the fix.
 */
export function chooseRelease(iop: { metadata?: unknown; spec?: unknown }): ReleaseChoice {
  const spec = isObject(iop.spec) ? iop.spec : {};
  const annotations = getPath(iop.metadata, ['annotations']);
  const pinned = isObject(annotations) ? annotations[ISTIO_VERSION_ANNOTATION] : undefined;
  const annotationPath = `metadata.annotations["${ISTIO_VERSION_ANNOTATION}"]`;
  const errors: Diagnostic[] = [];

  let chosen: { minor: string; path: string; value: unknown } | undefined;
  if (pinned !== undefined) {
    const m = typeof pinned === 'string' ? VERSION_VALUE.exec(pinned) : null;
    if (!m) {
      return {
        diagnostics: [
          {
            severity: 'error',
            path: annotationPath,
            value: pinned,
            message: 'is not an Istio version',
            fix: `write the release as major.minor or major.minor.patch, e.g. "${DEFAULT_RELEASE.minor}"`,
          },
        ],
      };
    }
    chosen = { minor: `${m[1]}.${m[2]}`, path: annotationPath, value: pinned };
  }

  const sources = tagSources(spec);
  // values.global.tag wins over spec.tag (the user's values override the spec, as in istioctl).
  const globalTag =
    sources.find((s) => s.path[2] === 'global') ?? sources.find((s) => s.path[1] === 'tag');
  // The line comes from the annotation, spec.tag or values.global.tag; a
  // component's tag is the user's image choice for that component (a
  // custom build, a mirror's tag), and chooses only when nothing else does.
  const primary = sources.filter((s) => s.path.length === 2 || s.path[2] === 'global');
  const fromComponents = !primary.some((s) => minorOfTag(s.tag) !== undefined) && !chosen;
  const warnings: Diagnostic[] = [];
  for (const s of sources) {
    const minor = minorOfTag(s.tag);
    if (minor === undefined) continue;
    if (chosen === undefined) {
      chosen = { minor, path: formatPath(s.path), value: s.tag };
    } else if (minor !== chosen.minor) {
      const component = !primary.includes(s);
      const message = `names Istio ${minor}, but ${chosen.path} (${String(chosen.value)}) names ${chosen.minor}; one IstioOperator installs one release`;
      if (component && !fromComponents)
        warnings.push({
          severity: 'warning',
          path: formatPath(s.path),
          value: s.tag,
          message: `${message}: this component runs the image tag ${String(s.tag)} with the templates of Istio ${chosen.minor}`,
          fix: `leave it if the image is meant to be ${chosen.minor}-compatible; to install ${minor}, use a revision of its own (spec.revision)`,
        });
      else
        errors.push({
          severity: 'error',
          path: formatPath(s.path),
          value: s.tag,
          message,
          fix: `use a ${chosen.minor} tag here, or install ${minor} as a revision of its own (spec.revision)`,
        });
    }
  }
  if (pinned === undefined && globalTag && minorOfTag(globalTag.tag) === undefined) {
    errors.push({
      severity: 'error',
      path: formatPath(globalTag.path),
      value: globalTag.tag,
      message:
        "names no Istio version, so the operator cannot tell which release's templates to install",
      fix: `say which with the annotation ${ISTIO_VERSION_ANNOTATION}: "${DEFAULT_RELEASE.minor}" (one of ${releaseList()})`,
    });
  }
  if (errors.length > 0) return { diagnostics: errors };
  if (chosen === undefined) return { release: DEFAULT_RELEASE, warnings };
  const release = releaseOfMinor(chosen.minor);
  if (!release) return { diagnostics: [unsupported(chosen.path, chosen.value, chosen.minor)] };
  return { release, warnings };
}

/** `spec.values` fields that exist only from a release on (istioctl of an older one rejects them). */
export const NEWER_VALUES: readonly { path: string[]; since: IstioMinor }[] = RELEASES.flatMap(
  (r) => r.newValues.map((path) => ({ path: [...path], since: r.minor })),
);

/**
 * Values fields the chosen release does not have yet: each an error naming
 * the field, the release that introduced it and the fix, as istioctl of the
 * older release rejects them as unknown.
 */
export function newerValuesErrors(spec: unknown, release: IstioRelease): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const f of NEWER_VALUES) {
    const since = releaseOfMinor(f.since)!;
    if (!isOlder(release, since)) continue;
    const value = getPath(spec, ['values', ...f.path]);
    if (value === undefined) continue;
    out.push({
      severity: 'error',
      path: formatPath(['spec', 'values', ...f.path]),
      value,
      message: `exists from Istio ${f.since} on; this IstioOperator installs ${release.minor}`,
      fix: `remove it, or install Istio ${f.since} or later (spec.tag)`,
    });
  }
  // Rendering a part of the objects only (cluster-scoped or namespaced) is
  // not something this operator does: say so rather than render everything.
  const scope = getPath(spec, ['values', 'global', 'resourceScope']);
  if (typeof scope === 'string' && scope !== 'all' && scope !== 'undefined' && !out.length) {
    out.push({
      severity: 'error',
      path: 'spec.values.global.resourceScope',
      value: scope,
      message: 'this operator always renders every object of a component (resourceScope all)',
      fix: 'leave it out, or set it to all',
    });
  }
  return out;
}

/**
 * `values.global.remotePilotAddress` written as an IPv6 address for a line
 * before 1.30: those lines' charts make it an ExternalName Service, whose
 * name must be a DNS name, so the API server refuses the Service (istioctl
 * renders it regardless). From 1.30 it is an IPv6 EndpointSlice.
 */
export function remoteAddressErrors(spec: unknown, release: IstioRelease): Diagnostic[] {
  const address = getPath(spec, ['values', 'global', 'remotePilotAddress']);
  if (typeof address !== 'string' || !address.includes(':') || has(release, 'remoteIstiodIpv6'))
    return [];
  // Only a remote cluster renders the Service.
  const remote =
    getPath(spec, ['profile']) === 'remote' ||
    getPath(spec, ['values', 'profile']) === 'remote' ||
    getPath(spec, ['values', 'istiodRemote', 'enabled']) === true ||
    getPath(spec, ['values', 'pilot', 'istiodRemote', 'enabled']) === true;
  if (!remote) return [];
  return [
    {
      severity: 'error',
      path: 'spec.values.global.remotePilotAddress',
      value: address,
      message: `is an IPv6 address: Istio ${release.minor} makes it an ExternalName Service, which the API server refuses`,
      fix: 'install Istio 1.30 or later (an IPv6 EndpointSlice), or give the external istiod a host name',
    },
  ];
}

/**
 * `compatibilityVersion` (spec, or values) naming a version the line ships
 * no compatibility profile for: istioctl of that line refuses to render.
 */
export function compatibilityErrors(spec: unknown, release: IstioRelease): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const path of [['compatibilityVersion'], ['values', 'compatibilityVersion']]) {
    const v = getPath(spec, path);
    if (typeof v !== 'string' || !/^\d+\.\d+$/.test(v)) continue;
    if (release.compatibilityVersions.includes(v)) continue;
    out.push({
      severity: 'error',
      path: formatPath(['spec', ...path]),
      value: v,
      message: `unknown compatibility version for Istio ${release.minor}`,
      fix: `use one of: ${release.compatibilityVersions.join(', ')}, or remove it for the current defaults`,
    });
  }
  return out;
}
