import { getString } from '../json/values.js';
import type { RenderPlan } from '../translate/plan.js';
import { istiodName, revLabel } from './names.js';
import type { K8sObject } from './object.js';
import type { JsonObject } from '../json/value.js';

const PORTS: JsonObject[] = [
  { name: 'tcp-istiod', port: 15012, protocol: 'TCP' },
  { name: 'tcp-webhook', port: 443, targetPort: 15017, protocol: 'TCP' },
];

/** Whether an address is an IP literal (v4 dotted quad or any v6 form). */
function isIp(address: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(address) || address.includes(':');
}

/**
 * In a remote cluster (remote profile) with `values.global.remotePilotAddress`,
 * the Service `istiod[-<rev>]` points at the external istiod, so workloads
 * and webhooks reach it by its usual name: an IP address gets a selector-less
 * Service plus Endpoints (15012 xDS, 15017 webhooks), a host name an
 * ExternalName Service.
 */
export function renderRemoteIstiod(plan: RenderPlan, namespace: string): K8sObject[] {
  const address = getString(plan.values, 'global.remotePilotAddress');
  if (!address) return [];
  const name = istiodName(plan.revision);
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
