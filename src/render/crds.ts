import { ISTIO_API_VERSION, ISTIO_CRD_NAMES, istioCrdData } from './generated/istio-crds.js';
import { isJsonObject, type JsonObject, type K8sObject } from './object.js';
import { registerWrittenText } from './yaml-text.js';

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
 * static ones (its `istio.labels` helper: release `istio`, chart `base` of
 * the release the CRDs come from, whatever image tag is installed). The
 * version label also tells a later install which release wrote a live CRD.
 * The ownership labels are added later, as on every object.
 */
export function crdLabels(version = ISTIO_CRDS_VERSION): Record<string, string> {
  return {
    'app.kubernetes.io/instance': 'istio',
    'app.kubernetes.io/managed-by': 'Helm',
    'app.kubernetes.io/part-of': 'istio',
    'app.kubernetes.io/version': version,
    'helm.sh/chart': `base-${version}`.replace(/\+/g, '_').slice(0, 63).replace(/-+$/, ''),
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
