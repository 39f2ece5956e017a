/**
 * TypeScript shape of the IstioOperator resource (install.istio.io/v1alpha1)
 * as this operator accepts it: the Istio 1.27 spec, plus the status the
 * operator writes. The structural schema in schema/ is the authority; these
 * types describe what a value looks like once it has passed validation.
 */

import type { API_VERSION, KIND } from './vocabulary.js';

/** An open-ended JSON object (Helm values, MeshConfig, Kubernetes sub-objects). */
export type JsonObject = { [key: string]: unknown };

/** The subset of ObjectMeta an IstioOperator carries in files and in the cluster. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  generation?: number;
  resourceVersion?: string;
  uid?: string;
  finalizers?: string[];
  [key: string]: unknown;
}

/** An IstioOperator custom resource. */
export interface IstioOperator {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ObjectMeta;
  spec: IstioOperatorSpec;
  status?: IstioOperatorStatus;
}

/** `spec` of an IstioOperator: what to install and how. */
export interface IstioOperatorSpec {
  /** Built-in profile name; unset means `default`. */
  profile?: string;
  /** Not supported by this operator (it renders components itself); always rejected. */
  installPackagePath?: string;
  /** Image registry root, e.g. `docker.io/istio`. Filled from DEFAULT_HUB after merging. */
  hub?: string;
  /** Image tag; numbers are tolerated (`tag: 1`). Filled from ISTIO_VERSION after merging. */
  tag?: string | number;
  /** Install namespace; filled with `metadata.namespace` or `istio-system` after merging. */
  namespace?: string;
  /** Control plane revision (a DNS-1123 label); empty means the default revision. */
  revision?: string;
  /** `major.minor` of an older Istio whose behaviour to keep, e.g. `1.25`. */
  compatibilityVersion?: string;
  /** Mesh-wide settings (Istio MeshConfig), merged into `values.meshConfig`. */
  meshConfig?: JsonObject;
  /** Per-component settings. */
  components?: ComponentsSpec;
  /** Helm values, validated against Istio's values schema. */
  values?: JsonObject;
  /** Helm values merged in after validation, with no schema check. */
  unvalidatedValues?: JsonObject;
}

/** `spec.components`: the installable components. */
export interface ComponentsSpec {
  base?: BaseComponentSpec;
  pilot?: ComponentSpec;
  cni?: ComponentSpec;
  ztunnel?: ComponentSpec;
  /** Parses in Istio 1.27 but is no component any more (use `values.profile: remote`). */
  istiodRemote?: ComponentSpec;
  ingressGateways?: GatewayComponentSpec[];
  egressGateways?: GatewayComponentSpec[];
}

/** The `base` component (CRDs and cluster-wide objects). */
export interface BaseComponentSpec {
  enabled?: boolean;
  k8s?: KubernetesResourcesSpec;
}

/** A non-gateway component (pilot, cni, ztunnel, istiodRemote). */
export interface ComponentSpec {
  /** When the component map is present, the component is on unless this is `false`. */
  enabled?: boolean;
  /** Namespace to install into; defaults to the IstioOperator's install namespace. */
  namespace?: string;
  hub?: string;
  tag?: string | number;
  k8s?: KubernetesResourcesSpec;
}

/** One entry of `components.ingressGateways` / `components.egressGateways`. */
export interface GatewayComponentSpec {
  /** Deployment/Service name; must match `[a-z0-9.-]{1,254}`. */
  name?: string;
  namespace?: string;
  /** Labels added to the gateway's default labels (and its Service selector). */
  label?: Record<string, string>;
  /** On unless `false`. */
  enabled?: boolean;
  hub?: string;
  tag?: string | number;
  k8s?: KubernetesResourcesSpec;
}

/** Kubernetes settings applied to a component's objects after rendering. */
export interface KubernetesResourcesSpec {
  affinity?: JsonObject;
  env?: EnvVar[];
  hpaSpec?: JsonObject;
  imagePullPolicy?: 'Always' | 'Never' | 'IfNotPresent';
  nodeSelector?: Record<string, string>;
  podDisruptionBudget?: PodDisruptionBudgetSpec;
  podAnnotations?: Record<string, string>;
  priorityClassName?: string;
  readinessProbe?: JsonObject;
  replicaCount?: number;
  resources?: ResourceRequirements;
  service?: ServiceSpec;
  strategy?: DeploymentStrategy;
  tolerations?: JsonObject[];
  serviceAnnotations?: Record<string, string>;
  securityContext?: JsonObject;
  /** Accepted for compatibility; Istio maps it nowhere. */
  volumes?: JsonObject[];
  /** Accepted for compatibility; Istio maps it nowhere. */
  volumeMounts?: JsonObject[];
  overlays?: K8sObjectOverlay[];
}

/** A container environment variable (Kubernetes EnvVar). */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: JsonObject;
}

/** `k8s.podDisruptionBudget`. */
export interface PodDisruptionBudgetSpec {
  minAvailable?: number | string;
  maxUnavailable?: number | string;
  selector?: JsonObject;
}

/** `k8s.resources` (Kubernetes ResourceRequirements). */
export interface ResourceRequirements {
  limits?: Record<string, string | number>;
  requests?: Record<string, string | number>;
  claims?: { name: string; request?: string }[];
}

/** `k8s.service` (a Kubernetes ServiceSpec subset). */
export interface ServiceSpec {
  ports?: ServicePort[];
  selector?: Record<string, string>;
  clusterIP?: string;
  type?: string;
  externalIPs?: string[];
  sessionAffinity?: string;
  loadBalancerIP?: string;
  loadBalancerSourceRanges?: string[];
  externalName?: string;
  externalTrafficPolicy?: string;
  healthCheckNodePort?: number;
  publishNotReadyAddresses?: boolean;
  sessionAffinityConfig?: JsonObject;
  loadBalancerClass?: string;
  [key: string]: unknown;
}

/** One Service port. */
export interface ServicePort {
  name?: string;
  protocol?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
  appProtocol?: string;
}

/** `k8s.strategy` (Deployment strategy). */
export interface DeploymentStrategy {
  type?: string;
  rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string };
}

/** `k8s.overlays[]`: path patches applied to one rendered object. */
export interface K8sObjectOverlay {
  apiVersion?: string;
  kind?: string;
  name?: string;
  patches?: { path?: string; value?: unknown }[];
}

/** Overall and per-component install state (the 1.23 `InstallStatus.Status` enum). */
export type InstallState =
  'NONE' | 'UPDATING' | 'RECONCILING' | 'HEALTHY' | 'ERROR' | 'ACTION_REQUIRED';

/** Status of one component, keyed by internal component name (`Pilot`, `IngressGateways`, …). */
export interface ComponentStatus {
  status?: InstallState;
  error?: string;
  version?: string;
}

/** A standard metav1.Condition. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** `status` of an IstioOperator, written by the operator through the status subresource. */
export interface IstioOperatorStatus {
  status?: InstallState;
  message?: string;
  componentStatus?: Record<string, ComponentStatus>;
  observedGeneration?: number;
  conditions?: Condition[];
  /** Which proxies the revision's pods run, written by the proxies loop (controller/proxies-loop.ts). */
  proxies?: ProxiesStatus;
}

/** A workload whose pods do not all run the proxy its revision injects, as status lists it. */
export interface StaleWorkloadStatus {
  namespace: string;
  kind: string;
  name: string;
  pods: number;
  stalePods: number;
  /** The proxies its stale pods run, `revision@version` (`none` for no proxy), comma-separated. */
  from: string;
  /** The proxy the revision injects, `revision@version`. */
  to: string;
}

/** The restart of stale workloads an IstioOperator opted into (RESTART_WORKLOADS_ANNOTATION). */
export interface RestartStatus {
  /** The policy as parsed (`batch=5,pause=0s`). */
  policy?: string;
  phase: string;
  message: string;
  /** What the restart moves workloads to (`canary@1.31.4`); a new target starts the count again. */
  target?: string;
  /** Workloads restarted whose rollout is not complete (`namespace/Kind/name`). */
  inFlight?: string[];
  /** Workloads restarted for this target so far. */
  restarted?: number;
  /** When the last batch completed: the pause counts from here. */
  lastBatchDoneAt?: string;
}

/** `status.proxies`: the pods an IstioOperator's injector serves and how many still run another proxy. */
export interface ProxiesStatus {
  revision: string;
  version: string;
  pods: number;
  stalePods: number;
  staleWorkloads: number;
  /** The first few stale workloads (`istio-operator workloads` lists them all). */
  workloads?: StaleWorkloadStatus[];
  restart?: RestartStatus;
}

/**
 * One validation finding. Errors block an install; warnings are printed and
 * never block. `path` is a dotted field path from the resource root
 * (`spec.components.pilot.k8s.replicaCount`).
 */
export interface Diagnostic {
  severity: 'error' | 'warning';
  path: string;
  value?: unknown;
  message: string;
  fix?: string;
}
