import { ISTIO_API_VERSION, ISTIO_CRD_NAMES, istioCrdData } from './generated/istio-crds.js';
import { type K8sObject } from './object.js';
import { registerWrittenText } from './yaml-text.js';
import { isJsonObject, type JsonObject } from '../json/value.js';

/**
 * Istio's 14 configuration CRDs (VirtualService, DestinationRule, …) as
 * Istio publishes them: the CustomResourceDefinitions of the Go module
 * istio.io/api pinned in tools/istio-api — schemas, CEL validation rules,
 * printer columns, subresources, categories, short names and the
 * `helm.sh/resource-policy: keep` annotation — extracted at build time
 * into src/render/generated/istio-crds.ts (scripts/istio-crds.ts). That
 * file is the one istioctl 1.27's base chart installs, byte for byte; it
 * is not committed here, go.sum pins it.
 *
 * Why Istio's own and not an open schema: with the real schema the API
 * server validates Istio config (CEL rules included) even while istiod is
 * down, `kubectl explain` documents it, `kubectl get vs` shows Istio's
 * columns, and an operator taking over an istioctl install leaves the
 * CRDs exactly as they were.
 */
export const ISTIO_CRDS_SOURCE = `istio.io/api ${ISTIO_API_VERSION}`;

/** The names of the CRDs, in the module's order (`virtualservices.networking.istio.io`, …). */
export { ISTIO_CRD_NAMES };

/** The Istio release the CRDs belong to (`1.27.0`): the API module's version. */
export const ISTIO_CRDS_VERSION = ISTIO_API_VERSION.replace(/^v/, '');

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
 * The Istio CRDs except those named in `excluded`, each a fresh object with
 * the labels of {@link crdLabels}. Each `spec` comes with its YAML text
 * written at build time (see registerWrittenText): change a copy, as
 * overlays do, never the object itself.
 */
export function renderIstioCrds(excluded: ReadonlySet<string>): K8sObject[] {
  const labels = crdLabels();
  const out: K8sObject[] = [];
  const data = istioCrdData();
  ISTIO_CRD_NAMES.forEach((name, i) => {
    if (excluded.has(name)) return;
    const json = data.json[i]!;
    const crd = JSON.parse(json) as K8sObject;
    crd.metadata = { ...crd.metadata, labels: { ...labels } };
    const text = data.specYaml[i];
    if (text && isJsonObject(crd.spec ?? null))
      registerWrittenText(crd.spec as JsonObject, 1, text);
    out.push(crd);
  });
  return out;
}
