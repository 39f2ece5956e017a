/**
 * Whether the external control plane has taken a remote cluster over. A
 * `remote` IstioOperator installs no istiod: its objects existing says
 * nothing about the mesh working. The istiod of the primary (or external
 * control plane) shows it serves this cluster by two writes of its own
 * here: the CA bundle on the injector webhooks (without it every injected
 * pod creation fails) and the ConfigMap `istio-ca-root-cert` in the
 * install namespace (without it no proxy trusts istiod). Until both are
 * there the IstioOperator is not HEALTHY, and its status says what it
 * waits for and what brings it.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import type { Manifest } from '../render/manifest.js';
import { getPath } from '../json/path.js';

/** The ConfigMap istiod writes into every namespace it serves, the install namespace included. */
export const ROOT_CERT_CONFIGMAP = 'istio-ca-root-cert';

/** Whether a render installs a remote cluster (the remote chart profile, or `istiodRemote.enabled`). */
export function isRemoteInstall(manifest: Manifest): boolean {
  const v = manifest.plan.values;
  return (
    getPath(v, ['profile']) === 'remote' ||
    getPath(v, ['istiodRemote', 'enabled']) === true ||
    getPath(v, ['pilot', 'istiodRemote', 'enabled']) === true
  );
}

interface Hooks extends KubernetesObject {
  webhooks?: { name: string; clientConfig?: { caBundle?: string } }[];
}

/** Why a live webhook configuration is not taken over yet ('' when it is). */
function webhookWait(name: string, live: Hooks | undefined): string {
  if (!live) return '';
  const empty = (live.webhooks ?? []).filter((w) => !w.clientConfig?.caBundle);
  return empty.length === 0
    ? ''
    : `the external istiod to set the CA bundle of MutatingWebhookConfiguration ${name}`;
}

/**
 * What a remote install still waits for from its external control plane,
 * each a phrase for "waiting for …" (empty when taken over, or when the
 * render is no remote install). Reads the webhook configurations the
 * manifest renders and the root-cert ConfigMap from the API server.
 */
export async function remoteTakeoverWaits(
  manifest: Manifest,
  client: KubeClient,
): Promise<string[]> {
  if (!isRemoteInstall(manifest)) return [];
  const hint =
    "; it does once it has this cluster's remote secret (istio-operator create-remote-secret, applied to the primary) " +
    'and this cluster names it in the install namespace annotation topology.istio.io/controlPlaneClusters, or runs with EXTERNAL_ISTIOD';
  const waits: string[] = [];
  const hooks = manifest.objects.filter((o) => o.kind === 'MutatingWebhookConfiguration');
  for (const h of hooks) {
    const live = await getOrUndefined<Hooks>(client, h);
    const w = webhookWait(h.metadata.name, live);
    if (w) waits.push(w);
  }
  const namespace = manifest.plan.istioNamespace;
  const root = await getOrUndefined(client, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: ROOT_CERT_CONFIGMAP, namespace },
  });
  if (!root)
    waits.push(`the external istiod to write ConfigMap ${namespace}/${ROOT_CERT_CONFIGMAP}`);
  if (waits.length > 0) waits[waits.length - 1] += hint;
  return waits;
}

async function getOrUndefined<T extends KubernetesObject>(
  client: KubeClient,
  ref: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } },
): Promise<T | undefined> {
  try {
    return await client.get<T>({
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: {
        name: ref.metadata.name,
        ...(ref.metadata.namespace ? { namespace: ref.metadata.namespace } : {}),
      },
    });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** A component's status as the reconciler reports it. */
interface ComponentReport {
  name: string;
  ready: boolean;
  waitingFor: string[];
  error?: string;
}

/**
 * Puts the takeover waits on the component that renders the injector
 * webhook (else the last one), so status lists them where they belong and
 * the reconcile requeues while they last. Changes `components` in place.
 */
export function markTakeover(
  components: ComponentReport[],
  manifest: Manifest,
  waits: readonly string[],
): void {
  if (waits.length === 0 || components.length === 0) return;
  const owner = manifest.components.find((c) =>
    c.objects.some((o) => o.kind === 'MutatingWebhookConfiguration'),
  )?.component;
  const c = components.find((x) => x.name === owner) ?? components[components.length - 1]!;
  if (c.error) return;
  c.waitingFor.push(...waits);
  c.ready = false;
}
