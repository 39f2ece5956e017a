import type { KubernetesObject } from '@kubernetes/client-node';

/**
 * The bookkeeping labels Helm-based installers (istioctl, Istio's Helm
 * charts) put on pod templates, which the operator does not render: the
 * chart's `app.kubernetes.io/*` and `helm.sh/chart`, the gateway charts'
 * Tiller-era `chart`, `heritage` and `release` (`gateways`, `Tiller`,
 * `istio` on the ingress and egress gateways), and istioctl's
 * `install.operator.istio.io/owning-resource`. The same keys the
 * conformance allow-list names (`helm-bookkeeping-labels`,
 * `owner-label-on-pod-templates`); no selector istioctl renders reads any
 * of them (checked for the demo, default and ambient profiles of 1.27 and
 * 1.31). Nothing else on a pod template differs between istioctl's install
 * and ours as labels or annotations.
 */
const INSTALLER_LABEL =
  /^(app\.kubernetes\.io\/(name|instance|managed-by|part-of|version)|helm\.sh\/chart|chart|heritage|release|install\.operator\.istio\.io\/owning-resource)$/;

type Rec = Record<string, unknown>;

function templateLabels(o: KubernetesObject): Record<string, string> | undefined {
  const t = ((o as Rec).spec as Rec | undefined)?.template as Rec | undefined;
  return (t?.metadata as Rec | undefined)?.labels as Record<string, string> | undefined;
}

/**
 * `desired` with the installer bookkeeping labels of the live pod template
 * that it does not set itself (a copy; `desired` when there are none).
 *
 * Why: istioctl applies with the field manager name the operator uses,
 * `istio-operator`, so when the operator takes over an istioctl install,
 * server-side apply would remove every field of that manager that the
 * operator does not send — and a pod template label removed is a rollout of
 * istiod, the gateways, istio-cni-node and ztunnel, for labels no selector
 * reads. Sending the live values keeps a take-over free of restarts. An
 * install the operator made itself has none of these labels, so nothing is
 * ever added there; a value is only ever kept, never changed.
 */
export function keepInstallerLabels(
  desired: KubernetesObject,
  live: KubernetesObject,
): KubernetesObject {
  const liveLabels = templateLabels(live);
  if (!liveLabels) return desired;
  const ours = templateLabels(desired);
  if (!ours && !((desired as Rec).spec as Rec | undefined)?.template) return desired;
  const carried = Object.entries(liveLabels).filter(
    ([k]) => INSTALLER_LABEL.test(k) && !(ours && k in ours),
  );
  if (carried.length === 0) return desired;
  const out = structuredClone(desired) as Rec;
  const template = (out.spec as Rec).template as Rec;
  const metadata = (template.metadata ??= {}) as Rec;
  metadata.labels = { ...(metadata.labels as Rec | undefined), ...Object.fromEntries(carried) };
  return out as KubernetesObject;
}
