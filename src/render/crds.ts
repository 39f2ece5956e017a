import { ISTIO_CRD_SETS, istioCrdData } from './generated/istio-crds.js';
import type { IstioRelease } from '../releases/catalog.js';
import { type K8sObject } from './object.js';
import { registerWrittenText } from '../yaml/dump.js';
import type { JsonObject } from '../json/value.js';

/**
 * Istio's configuration CRDs (VirtualService, DestinationRule, …; 14, and
 * 15 from 1.30) as Istio publishes them: the CustomResourceDefinitions of
 * the Go module istio.io/api pinned per Istio line in tools/istio-api/<minor>
 * — schemas, CEL validation rules, printer columns, subresources,
 * categories, short names and the `helm.sh/resource-policy: keep`
 * annotation — extracted at build time into
 * src/render/generated/istio-crds.ts (scripts/istio-crds.ts). Each line's
 * set equals what that line's istioctl installs, spec for spec (checked by
 * the conformance suite); it is not committed here, go.sum pins it.
 *
 * Why Istio's own and not an open schema: with the real schema the API
 * server validates Istio config (CEL rules included) even while istiod is
 * down, `kubectl explain` documents it, `kubectl get vs` shows Istio's
 * columns, and an operator taking over an istioctl install leaves the
 * CRDs exactly as they were.
 */
/** Where a line's CRDs come from (`istio.io/api v1.30.3`). */
export function istioCrdsSource(release: IstioRelease): string {
  return `istio.io/api ${crdSet(release).apiVersion}`;
}

/** The CRD set of a release line; a line without one is a build defect. */
function crdSet(release: IstioRelease): (typeof ISTIO_CRD_SETS)[string] {
  const set = ISTIO_CRD_SETS[release.minor];
  if (!set)
    throw new Error(
      `no Istio CRDs for ${release.minor}: tools/istio-api/${release.minor} is missing`,
    );
  return set;
}

/** The names of a line's CRDs, in the module's order (`virtualservices.networking.istio.io`, …). */
export function istioCrdNames(release: IstioRelease): readonly string[] {
  return crdSet(release).names;
}

/**
 * The labels istioctl's base chart puts on each CRD instead of the file's
 * static ones (its `istio.labels` helper, release `istio`), except the two
 * that carry the chart's version, `app.kubernetes.io/version` and
 * `helm.sh/chart`: a released istioctl 1.27.0 writes `1.27.0` and
 * `base-1.27.0` there, the oracle built from the Go module (the conformance
 * suite's) `1.0.0`, the version in the module's Chart.yaml, so no value
 * agrees with both. They are Helm bookkeeping, not read by Istio. (A live
 * CRD's `app.kubernetes.io/version`, written by a released istioctl or Helm,
 * is what apply/crd-guard.ts reads to recognise a newer Istio's CRDs.) The
 * ownership labels are added later, as on every object.
 */
export function crdLabels(): Record<string, string> {
  return {
    'app.kubernetes.io/instance': 'istio',
    'app.kubernetes.io/managed-by': 'Helm',
    'app.kubernetes.io/part-of': 'istio',
  };
}

/**
 * Fills the fields of `spec` (present, null) in from JSON text the first
 * time any of them is read. `manifest generate` reads none: the writer
 * pastes the spec's YAML text, written at build time and registered for
 * this very object (see registerWrittenText), and parsing the 15 specs
 * (half a megabyte of JSON) was a tenth of the command. The applier, a
 * copy, an overlay read them as from any object; setting one replaces it.
 */
function lazySpec(spec: Record<string, unknown>, parse: () => Record<string, unknown>): void {
  let parsed: Record<string, unknown> | undefined;
  const settle = () => {
    parsed ??= parse();
    for (const k of Object.keys(spec)) {
      if (Object.getOwnPropertyDescriptor(spec, k)?.get)
        Object.defineProperty(spec, k, {
          value: parsed[k],
          writable: true,
          enumerable: true,
          configurable: true,
        });
    }
  };
  for (const k of Object.keys(spec)) {
    Object.defineProperty(spec, k, {
      get: () => (settle(), spec[k]),
      set: (v: unknown) => {
        settle();
        spec[k] = v;
      },
      enumerable: true,
      configurable: true,
    });
  }
}

/**
 * The Istio CRDs except those named in `excluded`, each a fresh object with
 * the labels of {@link crdLabels}. Each `spec` comes with its YAML text
 * written at build time (see registerWrittenText): change a copy, as
 * overlays do, never the object itself.
 */
export function renderIstioCrds(release: IstioRelease, excluded: ReadonlySet<string>): K8sObject[] {
  const labels = crdLabels();
  const out: K8sObject[] = [];
  const data = istioCrdData();
  const set = crdSet(release);
  set.names.forEach((name, i) => {
    if (excluded.has(name)) return;
    const at = set.refs[i]!;
    const crd = JSON.parse(data.head[at]!) as K8sObject & { spec: JsonObject };
    crd.metadata = { ...crd.metadata, labels: { ...labels } };
    lazySpec(crd.spec, () => (JSON.parse(data.json[at]!) as { spec: JsonObject }).spec);
    const text = data.specYaml[at];
    if (text) registerWrittenText(crd.spec, 1, text);
    out.push(crd);
  });
  return out;
}
