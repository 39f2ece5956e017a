/**
 * The shape of the merged IstioOperator the renderer reads. It is
 * structural and deliberately loose (open objects are `unknown`), so the
 * typed IstioOperator from src/api, and plain parsed YAML, both fit it.
 */

/** An open JSON-like object as it arrives from YAML. */
export type Loose = { [key: string]: unknown };

/** `k8s` settings of one component (see docs/rendering.md for how each one applies). */
export interface K8sSettingsInput {
  affinity?: unknown;
  env?: unknown[];
  hpaSpec?: unknown;
  imagePullPolicy?: string;
  nodeSelector?: unknown;
  podDisruptionBudget?: unknown;
  podAnnotations?: unknown;
  priorityClassName?: string;
  readinessProbe?: unknown;
  replicaCount?: number;
  resources?: unknown;
  service?: unknown;
  strategy?: unknown;
  tolerations?: unknown[];
  serviceAnnotations?: unknown;
  securityContext?: unknown;
  volumes?: unknown[];
  volumeMounts?: unknown[];
  overlays?: OverlayInput[];
}

/** One `k8s.overlays[]` entry. */
export interface OverlayInput {
  apiVersion?: string;
  kind?: string;
  name?: string;
  patches?: { path?: string; value?: unknown }[];
}

/** A non-gateway component entry. */
export interface ComponentInput {
  enabled?: boolean;
  namespace?: string;
  hub?: string;
  tag?: string | number;
  k8s?: K8sSettingsInput;
}

/** One ingress or egress gateway entry. */
export interface GatewayInput extends ComponentInput {
  name?: string;
  label?: Record<string, string>;
}

/** The merged IstioOperator, as the renderer reads it. */
export interface RenderInput {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: {
    profile?: string;
    hub?: string;
    tag?: string | number;
    namespace?: string;
    revision?: string;
    compatibilityVersion?: string;
    meshConfig?: Loose;
    components?: {
      base?: ComponentInput;
      pilot?: ComponentInput;
      cni?: ComponentInput;
      ztunnel?: ComponentInput;
      istiodRemote?: ComponentInput;
      ingressGateways?: GatewayInput[];
      egressGateways?: GatewayInput[];
    };
    values?: Loose;
    unvalidatedValues?: Loose;
  };
}
