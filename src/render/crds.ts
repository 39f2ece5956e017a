import type { JsonObject, K8sObject } from './object.js';

/** One Istio config CRD: its group, names and the versions the API server serves. */
interface CrdFact {
  plural: string;
  kind: string;
  group: string;
  shortNames: string[];
  /** Served versions; the one marked `storage` is where objects are persisted. */
  versions: string[];
  storage: string;
}

const NET = 'networking.istio.io';
const SEC = 'security.istio.io';

/**
 * The 14 Istio configuration CRDs of Istio 1.27, with the served and stored
 * versions Istio uses (networking types promoted to v1 store v1; security stays on v1beta1 and
 * telemetry on v1alpha1).
 */
export const ISTIO_CRDS: readonly CrdFact[] = [
  {
    plural: 'wasmplugins',
    kind: 'WasmPlugin',
    group: 'extensions.istio.io',
    shortNames: [],
    versions: ['v1alpha1'],
    storage: 'v1alpha1',
  },
  {
    plural: 'destinationrules',
    kind: 'DestinationRule',
    group: NET,
    shortNames: ['dr'],
    versions: ['v1', 'v1alpha3', 'v1beta1'],
    storage: 'v1',
  },
  {
    plural: 'envoyfilters',
    kind: 'EnvoyFilter',
    group: NET,
    shortNames: [],
    versions: ['v1alpha3'],
    storage: 'v1alpha3',
  },
  {
    plural: 'gateways',
    kind: 'Gateway',
    group: NET,
    shortNames: ['gw'],
    versions: ['v1', 'v1alpha3', 'v1beta1'],
    storage: 'v1',
  },
  {
    plural: 'proxyconfigs',
    kind: 'ProxyConfig',
    group: NET,
    shortNames: [],
    versions: ['v1beta1'],
    storage: 'v1beta1',
  },
  {
    plural: 'serviceentries',
    kind: 'ServiceEntry',
    group: NET,
    shortNames: ['se'],
    versions: ['v1', 'v1alpha3', 'v1beta1'],
    storage: 'v1',
  },
  {
    plural: 'sidecars',
    kind: 'Sidecar',
    group: NET,
    shortNames: [],
    versions: ['v1', 'v1alpha3', 'v1beta1'],
    storage: 'v1',
  },
  {
    plural: 'virtualservices',
    kind: 'VirtualService',
    group: NET,
    shortNames: ['vs'],
    versions: ['v1', 'v1alpha3', 'v1beta1'],
    storage: 'v1',
  },
  {
    plural: 'workloadentries',
    kind: 'WorkloadEntry',
    group: NET,
    shortNames: ['we'],
    versions: ['v1', 'v1alpha3', 'v1beta1'],
    storage: 'v1',
  },
  {
    plural: 'workloadgroups',
    kind: 'WorkloadGroup',
    group: NET,
    shortNames: ['wg'],
    versions: ['v1', 'v1alpha3', 'v1beta1'],
    storage: 'v1',
  },
  {
    plural: 'authorizationpolicies',
    kind: 'AuthorizationPolicy',
    group: SEC,
    shortNames: ['ap'],
    versions: ['v1', 'v1beta1'],
    storage: 'v1beta1',
  },
  {
    plural: 'peerauthentications',
    kind: 'PeerAuthentication',
    group: SEC,
    shortNames: ['pa'],
    versions: ['v1', 'v1beta1'],
    storage: 'v1beta1',
  },
  {
    plural: 'requestauthentications',
    kind: 'RequestAuthentication',
    group: SEC,
    shortNames: ['ra'],
    versions: ['v1', 'v1beta1'],
    storage: 'v1beta1',
  },
  {
    plural: 'telemetries',
    kind: 'Telemetry',
    group: 'telemetry.istio.io',
    shortNames: ['telemetry'],
    versions: ['v1', 'v1alpha1'],
    storage: 'v1alpha1',
  },
];

/**
 * A structural schema that accepts what Istio accepts without restating
 * Istio's API: `spec` and `status` are objects whose content is left open
 * (istiod validates content through its validating webhook).
 */
function openSchema(): JsonObject {
  return {
    openAPIV3Schema: {
      type: 'object',
      properties: {
        spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
  };
}

/** Renders one CRD object. */
export function renderCrd(c: CrdFact): K8sObject {
  const category = `${c.group.split('.')[0]}-istio-io`;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${c.plural}.${c.group}` },
    spec: {
      group: c.group,
      names: {
        categories: ['istio-io', category],
        kind: c.kind,
        listKind: `${c.kind}List`,
        plural: c.plural,
        singular: c.kind.toLowerCase(),
        ...(c.shortNames.length ? { shortNames: c.shortNames } : {}),
      },
      scope: 'Namespaced',
      versions: c.versions.map((v) => ({
        name: v,
        served: true,
        storage: v === c.storage,
        schema: openSchema(),
        subresources: { status: {} },
      })),
    },
  };
}
