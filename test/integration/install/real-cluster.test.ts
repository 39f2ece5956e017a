import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { IstioOperator } from '../../../src/api/types.js';
import { startControlPlane, type RunningControlPlane } from '../../../src/cluster/controlplane.js';
import { waitFor } from '../../../src/cluster/health.js';
import { KubeClient, type ObjectRef } from '../../../src/kube/client.js';
import { isNotFound } from '../../../src/kube/errors.js';
import { ROOT, runCli, spawnCli } from '../../support/cli.js';
import { deploymentRef, iopRef } from '../../support/operator.js';

const CRD: ObjectRef = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'istiooperators.install.istio.io' },
};
const INJECTOR: ObjectRef = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'MutatingWebhookConfiguration',
  metadata: { name: 'istio-sidecar-injector' },
};
const ISTIOD = deploymentRef('istio-system', 'istiod');
const INGRESS = deploymentRef('istio-ingress', 'istio-ingressgateway');
const OPERATOR = deploymentRef('istio-operator', 'istio-operator');
const DEMO = (
  yaml.loadAll(readFileSync(join(ROOT, 'examples', 'demo.yaml'), 'utf8')) as IstioOperator[]
).filter(Boolean);

/**
 * A user's first hour on a cluster, as the README tells it, then the three
 * ways out: `remove --purge` (Istio keeps running), `remove --uninstall-istio`
 * with the operator running, and with it stopped. On a control plane of its
 * own: --purge deletes the IstioOperator CRD every other test relies on.
 *
 * kwok runs no containers, so the operator Deployment's pods do not run the
 * operator: the test runs it as a process with the very arguments of the
 * Deployment `init` installed, as its pod would.
 */
describe('the README real-cluster path, then remove (control plane of its own)', function () {
  let base: string;
  let cp: RunningControlPlane;
  let kubeconfig: string;
  let client: KubeClient;
  let operator: ChildProcess | undefined;
  let operatorLog = '';

  const exists = async (ref: ObjectRef) => {
    try {
      await client.get(ref);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  };
  const uid = async (ref: ObjectRef) => (await client.get(ref)).metadata?.uid;
  const cli = (...args: string[]) =>
    runCli([...args, '--kubeconfig', kubeconfig], { timeoutMs: 150_000 });

  /** Starts the operator as the Deployment `init` installed would run it. */
  const startOperator = async () => {
    const dep = (await client.get(OPERATOR)) as V1Deployment;
    const args = dep.spec!.template.spec!.containers[0]!.args!;
    operatorLog = '';
    operator = spawnCli([
      ...args,
      '--kubeconfig',
      kubeconfig,
      '--health-addr',
      '',
      '--metrics-addr',
      '',
    ]);
    operator.stdout!.on('data', (c: Buffer) => (operatorLog += c.toString()));
    operator.stderr!.on('data', (c: Buffer) => (operatorLog += c.toString()));
  };
  const stopOperator = async () => {
    const p = operator;
    operator = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.on('exit', r));
    p.kill('SIGTERM');
    await exited;
  };
  const applyDemo = async (docs = DEMO) => {
    for (const ns of ['istio-ingress', 'istio-egress'])
      await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (const d of docs) await client.apply(d as unknown as KubernetesObject);
  };
  const allHealthy = async (docs = DEMO) =>
    await waitFor(
      `${docs.map((d) => d.metadata.name).join(', ')} HEALTHY`,
      async () => {
        for (const d of docs) {
          const live = (await client.get(
            iopRef(d.metadata.namespace!, d.metadata.name!),
          )) as unknown as IstioOperator;
          if (live.status?.status !== 'HEALTHY') return false;
        }
        return true;
      },
      120_000,
      () =>
        operator && operator.exitCode !== null ? `operator exited:\n${operatorLog}` : undefined,
      250,
    );

  before(async function () {
    this.timeout(30 * 60_000);
    base = await mkdtemp(join(tmpdir(), 'real-cluster-'));
    cp = await startControlPlane({ dir: join(base, 'cp'), mode: 'full' });
    kubeconfig = cp.kubeconfig;
    client = new KubeClient(cp.kubeConfig());
  });

  after(async () => {
    await stopOperator();
    await cp?.stop();
    await rm(base, { recursive: true, force: true });
  });

  it('init --wait, then examples/demo.yaml: all three IstioOperators are reconciled, the gateways too', async function () {
    this.timeout(240_000);
    const init = await cli('init', '--wait', '--timeout', '90s');
    assert.equal(init.code, 0, init.stderr);
    await startOperator();
    await applyDemo();
    await allHealthy();
    const st = await cli('status', '--fail-unhealthy');
    assert.equal(st.code, 0, st.stdout + st.stderr);
    assert.match(st.stdout, /^istio-egress\/egress\s+HEALTHY\s+True/m);
    assert.doesNotMatch(st.stdout, /not reconciled/);
  });

  it('remove --purge with the operator running keeps Istio running: IstioOperators released, the CRD really gone', async function () {
    this.timeout(180_000);
    const before = {
      istiod: await uid(ISTIOD),
      ingress: await uid(INGRESS),
      injector: await uid(INJECTOR),
    };
    const r = await cli('remove', '--purge', '-y', '--timeout', '90s');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /keeps running and is no longer reconciled/);
    assert.match(r.stderr, /released 3 IstioOperator\(s\): nothing they installed is uninstalled/);
    // Gone when remove returns: never left Terminating for the next init to build on.
    assert.equal(await exists(CRD), false, 'the IstioOperator CRD is gone');
    assert.equal(await exists(OPERATOR), false, 'the operator Deployment is gone');
    // The operator process still runs (remove cannot see it): give it the time it
    // needed to uninstall everything before the fix (under a second), then look.
    await new Promise((res) => setTimeout(res, 3000));
    assert.deepEqual(
      { istiod: await uid(ISTIOD), ingress: await uid(INGRESS), injector: await uid(INJECTOR) },
      before,
      'istiod, the gateway and the injector webhook are untouched',
    );
    await stopOperator();
  });

  it('status then names the missing CRD and how to install it, instead of "404 page not found"', async () => {
    const r = await cli('status');
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /error: listing IstioOperators: the IstioOperator CRD \(istiooperators\.install\.istio\.io\) is not installed in this cluster: install it with `istio-operator init`/,
    );
    assert.doesNotMatch(r.stderr, /404 page not found/);
    // run starts and waits for the CRD, but says why it does nothing.
    const run = spawnCli([
      'run',
      '--kubeconfig',
      kubeconfig,
      '--health-addr',
      '',
      '--metrics-addr',
      '',
    ]);
    let out = '';
    run.stderr.on('data', (c: Buffer) => (out += c.toString()));
    run.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await waitFor(
        'run names the missing CRD',
        async () =>
          /IstioOperator CRD \(istiooperators\.install\.istio\.io\) is not installed in this cluster: install it with `istio-operator init`.*; waiting for it/.test(
            out,
          ),
        30_000,
        () => (run.exitCode !== null ? `run exited:\n${out}` : undefined),
        100,
      );
    } finally {
      run.kill('SIGKILL');
    }
  });

  it('init refuses to build on a Terminating CRD; remove --purge finishes the deletion without uninstalling', async function () {
    this.timeout(180_000);
    const before = await uid(ISTIOD);
    assert.equal((await cli('init', '--wait', '--timeout', '90s')).code, 0);
    // An IstioOperator the operator had reconciled (it carries the finalizer), no
    // operator running, and the CRD deleted under it: the CRD sticks in Terminating.
    await client.apply({
      ...iopRef('istio-system', 'control-plane'),
      metadata: {
        ...iopRef('istio-system', 'control-plane').metadata,
        finalizers: ['istio-finalizer.install.istio.io'],
      },
      spec: DEMO[0]!.spec,
    } as KubernetesObject);
    await client.delete(CRD);
    const init = await cli('init', '--wait', '--timeout', '90s');
    assert.equal(init.code, 1, init.stderr);
    assert.match(
      init.stderr,
      /the IstioOperator CRD is being deleted \(held by istio-system\/control-plane, which still have finalizers\): let the deletion finish first — `istio-operator remove --purge -y` releases/,
    );
    const r = await cli('remove', '--purge', '-y', '--timeout', '90s');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await exists(CRD), false, 'the CRD is gone');
    assert.equal(await uid(ISTIOD), before, 'istiod untouched');
  });

  it('init again and the same IstioOperators adopt the running installation: nothing recreated', async function () {
    this.timeout(240_000);
    const before = await uid(ISTIOD);
    const init = await cli('init', '--wait', '--timeout', '90s');
    assert.equal(init.code, 0, init.stderr);
    await startOperator();
    await applyDemo();
    await allHealthy();
    assert.equal(await uid(ISTIOD), before);
  });

  it('remove --uninstall-istio --purge with the operator running waits until everything is uninstalled', async function () {
    this.timeout(240_000);
    const r = await cli('remove', '--uninstall-istio', '--purge', '-y', '--timeout', '120s');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^This UNINSTALLS Istio: 3 IstioOperator\(s\)/m);
    assert.match(r.stderr, /waiting for the operator to uninstall them/);
    // When remove returns, it is all done.
    for (const ref of [ISTIOD, INGRESS, INJECTOR, OPERATOR, CRD])
      assert.equal(await exists(ref), false, `${ref.kind} ${ref.metadata.name} is gone`);
    // Istio's own CRDs hold users' resources: kept.
    assert.ok(
      await exists({ ...CRD, metadata: { name: 'virtualservices.networking.istio.io' } }),
      'Istio CRDs are kept',
    );
    await stopOperator();
  });

  it('with the operator stopped, status shows deletions nothing will finish; uninstall and remove --uninstall-istio finish them', async function () {
    this.timeout(300_000);
    const [controlPlane, ingress] = [DEMO[0]!, DEMO[1]!];
    assert.equal((await cli('init', '--wait', '--timeout', '90s')).code, 0);
    await startOperator();
    await applyDemo([controlPlane, ingress]);
    await allHealthy([controlPlane, ingress]);
    await stopOperator();
    const removed = await cli('remove', '-y');
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stderr, /deleting one later waits until an operator runs again/);

    // kubectl delete iop: it hangs on the finalizer, with no operator to run it.
    await client.delete(iopRef('istio-system', 'control-plane'));
    await client.delete(iopRef('istio-ingress', 'ingress'));
    const st = await cli('status', '--fail-unhealthy');
    assert.equal(st.code, 1, st.stdout);
    assert.match(st.stdout, /^istio-system\/control-plane\s+HEALTHY \(deleting\)/m);
    assert.match(
      st.stdout,
      /^istio-system\/control-plane: deletion pending, and no operator may run to finish it/m,
    );
    assert.match(
      st.stdout,
      /finish the uninstall here: istio-operator uninstall control-plane -n istio-system$/m,
    );

    const un = await cli('uninstall', 'control-plane', '-n', 'istio-system', '--timeout', '90s');
    assert.equal(un.code, 0, un.stderr);
    assert.match(un.stdout, /^deleted .*Deployment istio-system\/istiod/);
    for (const ref of [iopRef('istio-system', 'control-plane'), ISTIOD, INJECTOR])
      assert.equal(await exists(ref), false, `${ref.kind} ${ref.metadata.name} is gone`);
    assert.ok(await exists(INGRESS), 'only what control-plane owned was uninstalled');

    // The ingress IstioOperator is still pending: remove --uninstall-istio finishes it itself.
    const r = await cli('remove', '--uninstall-istio', '--purge', '-y', '--timeout', '90s');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /No running operator reconciles it: this command uninstalls it itself/);
    for (const ref of [iopRef('istio-ingress', 'ingress'), INGRESS, CRD])
      assert.equal(await exists(ref), false, `${ref.kind} ${ref.metadata.name} is gone`);
  });
});
