import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeClient } from '../../src/kube/client.js';
import { describeKubeError } from '../../src/kube/errors.js';
import type { K8sObject } from '../../src/render/object.js';
import { kubeConfig } from '../support/cluster.js';
import { renderOurs } from './ours.js';

const CORPUS = join(import.meta.dirname, 'corpus');

/** Inputs that together produce every kind and most shapes the renderer emits. */
const INPUTS = [
  'profile-default.yaml',
  'profile-demo.yaml',
  'profile-ambient.yaml',
  'profile-openshift-ambient.yaml',
  'profile-stable.yaml',
  'profile-remote.yaml',
  'revision-tags.yaml',
  'default-revision.yaml',
  'gateways-many.yaml',
  'gateway-root-ports.yaml',
  'k8s-pilot.yaml',
  'k8s-gateway.yaml',
  'overlays-pilot.yaml',
  'ambient-tuned.yaml',
  'pilot-autoscale-tuning.yaml',
  'remote-pilot-ip.yaml',
  'remote-pilot-host.yaml',
  'network-policy.yaml',
];

/** Kinds whose API a plain Kubernetes cluster does not serve (multus's CRD). */
const NOT_SERVED = new Set(['k8s.cni.cncf.io/v1 NetworkAttachmentDefinition']);

describe('conformance: the Kubernetes API server accepts every rendered object', function () {
  // A cold run builds the control-plane binaries first (several minutes on 2 cores).
  this.timeout(40 * 60_000);
  // The operator's own client: raw JSON, as the operator sends it. (The
  // generated typed client drops keys its models do not name, such as a
  // CRD schema's x-kubernetes-int-or-string, and would test a different body.)
  let client: KubeClient;
  let core: k8s.CoreV1Api;
  const ns = `render-check-${process.pid}`;

  before(async () => {
    const kc = await kubeConfig();
    client = new KubeClient(kc);
    core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: ns } } });
  });

  after(async () => {
    await core?.deleteNamespace({ name: ns }).catch(() => undefined);
  });

  for (const f of INPUTS) {
    it(`accepts ${f.replace(/\.yaml$/, '')} in a server-side dry run`, async () => {
      const rendered = renderOurs(f, readFileSync(join(CORPUS, f), 'utf8'), []);
      const failures: string[] = [];
      let checked = 0;
      for (const o of rendered) {
        if (NOT_SERVED.has(`${o.apiVersion} ${o.kind}`)) continue;
        // Every namespaced object goes to this test's own namespace: the
        // shape is what is checked, and nothing is really created.
        const obj: K8sObject = o.metadata.namespace
          ? { ...o, metadata: { ...o.metadata, namespace: ns } }
          : o;
        try {
          // Server-side apply, dry run: validated and defaulted, nothing stored.
          await client.apply(obj as k8s.KubernetesObject, true);
          checked++;
        } catch (err) {
          failures.push(`${o.kind}/${o.metadata.name}: ${describeKubeError(err).slice(0, 400)}`);
        }
      }
      assert.deepEqual(failures, []);
      assert.ok(checked > 0);
    });
  }

  // What an istioctl render does on a real API server, where ours differs on
  // purpose (test/conformance/allow-list.ts, istio-inputs.ts).
  describe("where istioctl's render and ours differ on purpose", () => {
    it('stores a Service port with targetPort 0 (istioctl) with the port as targetPort (ours)', async () => {
      const stored = await client.apply(
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'target-port-zero', namespace: ns },
          spec: { ports: [{ name: 'tcp-dns', port: 5353, targetPort: 0, protocol: 'TCP' }] },
        } as k8s.KubernetesObject,
        true,
      );
      const ports = (stored as { spec?: { ports?: { targetPort?: unknown }[] } }).spec?.ports;
      assert.equal(ports?.[0]?.targetPort, 5353);
    });

    it('refuses the ExternalName Service Istio 1.27–1.29 render for an IPv6 remotePilotAddress', async () => {
      await assert.rejects(
        client.apply(
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 'istiod-ipv6', namespace: ns },
            spec: {
              type: 'ExternalName',
              externalName: '2001:db8::1',
              ports: [{ name: 'tcp-istiod', port: 15012, protocol: 'TCP' }],
            },
          } as k8s.KubernetesObject,
          true,
        ),
        (err: unknown) => /externalName/i.test(describeKubeError(err)),
      );
    });

    it("creates no pod for an istiod Deployment whose ServiceAccount is in the install namespace, not its own (istioctl's split istiod)", async function () {
      this.timeout(60_000);
      const name = 'split-istiod';
      await client.apply({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace: ns },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: {
              serviceAccountName: 'istiod',
              containers: [{ name: 'discovery', image: 'docker.io/istio/pilot:1.31.4' }],
            },
          },
        },
      } as k8s.KubernetesObject);
      const apps = (await kubeConfig()).makeApiClient(k8s.AppsV1Api);
      // The ReplicaSet controller reports why it creates no pod.
      let reason = '';
      const deadline = Date.now() + 45_000;
      while (!reason && Date.now() < deadline) {
        const sets = await apps.listNamespacedReplicaSet({
          namespace: ns,
          labelSelector: `app=${name}`,
        });
        reason =
          sets.items
            .flatMap((r) => r.status?.conditions ?? [])
            .find((c) => c.type === 'ReplicaFailure')?.message ?? '';
        if (!reason) await new Promise((r) => setTimeout(r, 500));
      }
      assert.match(reason, /serviceaccount "istiod" not found/i);
      const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${name}` });
      assert.equal(pods.items.length, 0);
    });
  });
});
