/**
 * The scenario of the egress test, run inside a network namespace of the
 * test's own (see egress.test.ts) in which all of 10.0.0.0/8 is local: a
 * listener there stands in for "the network" and records every connection
 * that reaches it. Starts a full local control plane and the operator,
 * installs Istio (default profile: istiod and its webhooks), then does what a
 * new user does: an injection-enabled namespace, a Deployment in it, a pod
 * created directly, a VirtualService. Prints one JSON line with what
 * happened; the test judges it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBinaries } from '../../../src/cluster/binaries.js';
import { startControlPlane } from '../../../src/cluster/controlplane.js';
import { waitFor } from '../../../src/cluster/health.js';
import { OperatorManager } from '../../../src/controller/manager.js';
import { KubeClient } from '../../../src/kube/client.js';
import { installIstioOperatorCrd } from '../../support/crd.js';

/** The webhook ports of istiod's Service and Deployment. */
const WATCHED_PORTS = [443, 15017, 15010, 15012, 15014];

const connections: { to: string; from: string }[] = [];
const listeners: Server[] = [];
for (const port of WATCHED_PORTS) {
  const srv = createServer((s) => {
    connections.push({ to: `${s.localAddress}:${s.localPort}`, from: `${s.remoteAddress}` });
    s.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '0.0.0.0', resolve);
  });
  listeners.push(srv);
}

// Control: a direct connection to a ClusterIP reaches the listener, so a
// count of 0 below means "nothing went there", not "the listener saw nothing".
await new Promise<void>((resolve, reject) => {
  const s = connect(443, '10.0.0.137', () => resolve());
  s.on('error', reject);
  s.on('close', () => {});
});
await waitFor('control connection recorded', async () => connections.length > 0, 5000);
const control = connections.splice(0).length;

const kubectlBin = (await ensureBinaries(['kubectl'])).kubectl;
const dir = await mkdtemp(join(tmpdir(), 'egress-scenario-'));
const cp = await startControlPlane({ dir, mode: 'full' });
const kc = cp.kubeConfig();
const client = new KubeClient(kc);
const result: Record<string, unknown> = { control };
let manager: OperatorManager | undefined;
try {
  await installIstioOperatorCrd(kc);
  await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } });
  manager = new OperatorManager({ kubeConfig: kc, watchNamespaces: ['istio-system'] });
  await manager.start();
  const iop = {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name: 'control-plane', namespace: 'istio-system' },
  };
  await client.apply({ ...iop, spec: { profile: 'default' } });
  await waitFor(
    'IstioOperator HEALTHY',
    async () =>
      ((await client.get(iop)) as { status?: { status?: string } }).status?.status === 'HEALTHY',
    60_000,
    undefined,
    200,
  );

  const kubectl = async (args: string[], input?: string) => {
    const t0 = Date.now();
    return await new Promise<{ code: number; out: string; ms: number }>((resolve) => {
      const child = execFile(
        kubectlBin,
        [`--kubeconfig=${cp.kubeconfig}`, ...args],
        { timeout: 60_000 },
        (err, stdout, stderr) =>
          resolve({
            code: err ? ((err as { code?: number }).code ?? 1) : 0,
            out: `${stdout}${stderr}`.trim(),
            ms: Date.now() - t0,
          }),
      );
      if (input !== undefined) child.stdin?.end(input);
    });
  };
  // What the user typed.
  await kubectl(['create', 'namespace', 'app']);
  await kubectl(['label', 'namespace', 'app', 'istio-injection=enabled']);
  await waitFor(
    'default ServiceAccount in app',
    async () => (await kubectl(['get', 'serviceaccount', 'default', '-n', 'app'])).code === 0,
    30_000,
  );
  // A pod created directly: what kubectl prints when the webhook is refused.
  result.pod = await kubectl(['run', 'direct', '-n', 'app', '--image=nginx']);
  // A Deployment: its ReplicaSet's pod creations call the injector too.
  result.deployment = await kubectl(['create', 'deployment', 'web', '-n', 'app', '--image=nginx']);
  await waitFor(
    'the ReplicaSet tried to create its pod',
    async () =>
      /FailedCreate/.test(
        (await kubectl(['get', 'events', '-n', 'app', '-o', 'custom-columns=R:.reason'])).out,
      ),
    30_000,
    undefined,
    250,
  );
  result.replicaSetEvents = (
    await kubectl([
      'get',
      'events',
      '-n',
      'app',
      '--field-selector=reason=FailedCreate',
      '-o',
      'custom-columns=M:.message',
      '--no-headers',
    ])
  ).out;
  // An Istio config object: istiod's validating webhook is called.
  result.virtualService = await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'web', namespace: 'app' },
      spec: { hosts: ['web'], http: [{ route: [{ destination: { host: 'web' } }] }] },
    }),
  );
  // A webhook given by URL (routed as `controlplane` traffic, not `cluster`).
  await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'egress-test-url' },
      webhooks: [
        {
          name: 'url.egress-test.invalid',
          clientConfig: { url: 'https://10.0.0.200/validate' },
          rules: [
            {
              apiGroups: [''],
              apiVersions: ['v1'],
              operations: ['CREATE'],
              resources: ['configmaps'],
            },
          ],
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'app' } },
          failurePolicy: 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 5,
        },
      ],
    }),
  );
  result.urlWebhook = await kubectl(['create', 'configmap', 'probe', '-n', 'app']);
  // Give any late call (controller retries) time to show up before counting.
  await new Promise((r) => setTimeout(r, 2000));
} catch (err) {
  result.error = (err as Error).stack ?? String(err);
} finally {
  await manager?.stop();
  const log = await readFile(join(dir, 'logs', 'egress-proxy.log'), 'utf8').catch(() => '');
  result.proxy = log
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => e.decision);
  result.connections = connections;
  await cp.stop();
  await rm(dir, { recursive: true, force: true });
  listeners.forEach((l) => l.close());
}
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(0);
