import type { RenderPlan } from '../translate/plan.js';
import { has } from '../releases/changes.js';
import { revLabel } from './names.js';
import type { K8sObject } from './object.js';
import type { JsonObject } from '../json/value.js';

const PORTS: JsonObject[] = [
  { name: 'tcp-istiod', port: 15012, protocol: 'TCP' },
  { name: 'tcp-webhook', port: 443, targetPort: 15017, protocol: 'TCP' },
];

/** Whether an address is an IP literal (v4 dotted quad or any v6 form). */
function isIp(address: string): boolean {
  return isIpv4(address) || address.includes(':');
}

const isIpv4 = (a: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(a);
const isIpv6 = (a: string) => /^([0-9a-fA-F]*:)+[0-9a-fA-F]*$/.test(a);

/**
 * From 1.28 the address is an EndpointSlice (IPv4; from 1.30 also IPv6),
 * named and labelled for the Service so the endpoint controllers leave it
 * to us; any other address makes the Service an ExternalName.
 */
function renderRemoteSlice(
  plan: RenderPlan,
  namespace: string,
  address: string,
  name: string,
): K8sObject[] {
  const v6 = has(plan.release, 'remoteIstiodIpv6') && isIpv6(address);
  const ip = isIpv4(address) || v6;
  const service: K8sObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { 'istio.io/rev': revLabel(plan.revision) } },
    spec: ip ? { ports: PORTS } : { type: 'ExternalName', externalName: address, ports: PORTS },
  };
  if (!ip) return [service];
  return [
    service,
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name,
        namespace,
        labels: {
          'kubernetes.io/service-name': name,
          'endpointslice.kubernetes.io/managed-by': ENDPOINTSLICE_MANAGER,
        },
      },
      addressType: v6 ? 'IPv6' : 'IPv4',
      endpoints: [{ addresses: [address] }],
      ports: [
        { name: 'tcp-istiod', port: 15012, protocol: 'TCP' },
        { name: 'tcp-webhook', port: 15017, protocol: 'TCP' },
      ],
    },
  ];
}

/**
 * Who manages the remote istiod's EndpointSlice, in its
 * `endpointslice.kubernetes.io/managed-by` label: the operator (istioctl's
 * charts write `Helm`); any value but the EndpointSlice controller's keeps
 * that controller away from it.
 */
export const ENDPOINTSLICE_MANAGER = 'istio-operator';

/**
 * In a remote cluster (remote profile) with `values.global.remotePilotAddress`,
 * the Service `istiod[-<rev>]` points at the external istiod, so workloads
 * and webhooks reach it by its usual name: an IP address gets a selector-less
 * Service plus Endpoints (15012 xDS, 15017 webhooks), a host name an
 * ExternalName Service.
 */
export function renderRemoteIstiod(
  plan: RenderPlan,
  namespace: string,
  address: string,
  /** The Service's name: istiod's, or `istiod[-<rev>]-remote` beside a local injector istiod. */
  name: string,
): K8sObject[] {
  if (!address) return [];
  if (has(plan.release, 'remoteEndpointSlice'))
    return renderRemoteSlice(plan, namespace, address, name);
  const service: K8sObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { 'istio.io/rev': revLabel(plan.revision) } },
    spec: isIp(address)
      ? { ports: PORTS }
      : { type: 'ExternalName', externalName: address, ports: PORTS },
  };
  if (!isIp(address)) return [service];
  return [
    service,
    {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name, namespace },
      subsets: [
        {
          addresses: [{ ip: address }],
          ports: [
            { name: 'tcp-istiod', port: 15012, protocol: 'TCP' },
            { name: 'tcp-webhook', port: 15017, protocol: 'TCP' },
          ],
        },
      ],
    },
  ];
}
