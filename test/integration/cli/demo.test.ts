import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { waitFor } from '../../../src/cluster/health.js';
import type { ControlPlaneState } from '../../../src/cluster/controlplane.js';
import { isAlive } from '../../../src/cluster/process.js';
import { KubeClient } from '../../../src/kube/client.js';
import { ROOT, runCli, spawnCli } from '../../support/cli.js';

/** The pid the demo printed for its local istiod (pilot-discovery) of a line; the last one started. */
function istiodPid(out: string, line: string): number {
  const re = new RegExp(
    `istiod istio-system/istiod is the real pilot-discovery ${line.replace('.', '\\.')} \\(Istio [^;]+; pid (\\d+)`,
    'g',
  );
  const all = [...out.matchAll(re)];
  assert.ok(all.length, `the demo started no istiod of ${line}:\n${out}`);
  return Number(all[all.length - 1]![1]);
}

const pilotDiscovery = (pid: number) => ({
  name: 'istiod',
  pid,
  binary: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!,
  args: [],
  log: '',
});

describe('npm start (istio-operator demo)', () => {
  it('brings up a control plane, makes the demo IstioOperators HEALTHY, runs the real istiod of their line, injects, follows the upgrade the hint shows, reports and restarts the workload left on the old proxy (real 1.31 istiod injects it), and tears it all down on Ctrl-C', async function () {
    this.timeout(420_000);
    const base = await mkdtemp(join(tmpdir(), 'demo-test-'));
    const dir = join(base, 'cp');
    const env = { ...process.env };
    delete env.KUBECONFIG; // the demo must use its own control plane
    // The demo file as shipped: Istio 1.30, whose pilot-discovery builds from the module proxy.
    const p = spawnCli(['demo', '--dir', dir], { env });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    try {
      await waitFor(
        'all HEALTHY',
        async () => /All 3 IstioOperators are HEALTHY after [\d.]+s\./.test(out),
        200_000,
        () => (p.exitCode !== null ? `demo exited early:\n${out}` : undefined),
        250,
      );
      assert.match(out, new RegExp(`export KUBECONFIG=${join(dir, 'kubeconfig')}`));
      assert.match(out, /^istio-system\/control-plane\s+HEALTHY\s+True\s+default\s+demo/m);
      assert.match(out, /^istio-ingress\/ingress\s+HEALTHY\s+True/m);
      assert.match(out, /RECONCILING/, 'the live view showed the way to HEALTHY');
      const istiod = pilotDiscovery(istiodPid(out, '1.30'));
      assert.match(out, /kubectl label namespace demo istio-injection=enabled/);

      // What the closing hint tells the user to do: the real webhook injects.
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(join(dir, 'kubeconfig'));
      const client = new KubeClient(kc);
      await client.apply({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'demo', labels: { 'istio-injection': 'enabled' } },
      });
      await client.apply({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'demo' },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'nginx', image: 'nginx' }] },
          },
        },
      } as k8s.KubernetesObject);
      const injected = async (app: string) => {
        let containers: k8s.V1Container[] = [];
        await waitFor(
          `an injected pod of ${app}`,
          async () => {
            const pods = await client.list<k8s.V1Pod>(
              { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
              'demo',
              `app=${app}`,
            );
            containers = pods[0]?.spec?.containers ?? [];
            return containers.length > 0;
          },
          30_000,
          undefined,
          200,
        );
        return containers.map((c) => `${c.name} ${c.image}`);
      };
      assert.deepEqual(await injected('web'), [
        'nginx nginx',
        'istio-proxy docker.io/istio/proxyv2:1.30.8',
      ]);

      // The closing hint's upgrade, as the user runs it: the control plane
      // moves to 1.31, the demo runs 1.31's istiod, which injects new pods.
      const hint =
        /patch iop control-plane --type merge -p '(\{"spec":\{"tag":"1\.31\.4"\}\})'/.exec(out);
      assert.ok(hint, `the closing hint shows the upgrade to 1.31.4:\n${out}`);
      await client.mergePatch({
        apiVersion: 'install.istio.io/v1alpha1',
        kind: 'IstioOperator',
        metadata: { name: 'control-plane', namespace: 'istio-system' },
        ...(JSON.parse(hint[1]!) as object),
      });
      await waitFor(
        "1.31's istiod",
        async () => /istiod istio-system\/istiod is the real pilot-discovery 1\.31/.test(out),
        180_000,
        () => (p.exitCode !== null ? `demo exited early:\n${out}` : undefined),
        250,
      );
      assert.match(
        out,
        /istiod istio-system\/istiod moved from Istio 1\.30\.8 to 1\.31\.4: restarting it/,
      );
      assert.equal(isAlive(istiod), false, "1.30's istiod stopped");
      const istiod131 = pilotDiscovery(istiodPid(out, '1.31'));
      await client.apply({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'api', namespace: 'demo' },
        spec: {
          selector: { matchLabels: { app: 'api' } },
          template: {
            metadata: { labels: { app: 'api' } },
            spec: { containers: [{ name: 'app', image: 'nginx' }] },
          },
        },
      } as k8s.KubernetesObject);
      assert.deepEqual(await injected('api'), [
        'app nginx',
        'istio-proxy docker.io/istio/proxyv2:1.31.4',
      ]);

      // web still runs 1.30.8's proxy: the operator reports it, and `status` shows it.
      type Iop = k8s.KubernetesObject & {
        status?: {
          proxies?: {
            stalePods: number;
            workloads?: { namespace: string; name: string; from: string; to: string }[];
            restart?: { phase: string; restarted?: number };
          };
        };
      };
      const controlPlane = () =>
        client.get<Iop>({
          apiVersion: 'install.istio.io/v1alpha1',
          kind: 'IstioOperator',
          metadata: { name: 'control-plane', namespace: 'istio-system' },
        });
      await waitFor(
        'demo/web reported stale in status.proxies',
        async () =>
          !!(await controlPlane()).status?.proxies?.workloads?.some(
            (w) => w.namespace === 'demo' && w.name === 'web' && w.to === 'default@1.31.4',
          ),
        60_000,
        undefined,
        250,
      );
      const status = await runCli(['status', '--kubeconfig', join(dir, 'kubeconfig')]);
      assert.match(
        status.stdout,
        /^istio-system\/control-plane: 1 of \d+ pod\(s\) in 1 workload\(s\) still run an old proxy/m,
      );
      // The hint's opt-in, as the user runs it: the operator restarts web, and
      // 1.31's real istiod injects the new pod.
      const restart =
        /annotate iop control-plane (install\.istio\.io\/restart-workloads)=(\S+)/.exec(out);
      assert.ok(restart, `the closing hint shows the restart opt-in:\n${out}`);
      await client.mergePatch({
        apiVersion: 'install.istio.io/v1alpha1',
        kind: 'IstioOperator',
        metadata: {
          name: 'control-plane',
          namespace: 'istio-system',
          annotations: { [restart[1]!]: restart[2]! },
        },
      });
      await waitFor(
        'the restart done',
        async () => (await controlPlane()).status?.proxies?.restart?.phase === 'Done',
        120_000,
        () => (p.exitCode !== null ? `demo exited early:\n${out}` : undefined),
        250,
      );
      const done = (await controlPlane()).status!.proxies!;
      assert.deepEqual([done.stalePods, done.restart?.restarted], [0, 1]);
      assert.deepEqual(await injected('web'), [
        'nginx nginx',
        'istio-proxy docker.io/istio/proxyv2:1.31.4',
      ]);

      const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as ControlPlaneState;
      p.kill('SIGINT');
      assert.equal(await exited, 0, out);
      assert.equal(state.processes.some(isAlive), false, 'no control-plane process left');
      assert.equal(isAlive(istiod131), false, 'no istiod left');
      assert.equal(existsSync(join(dir, 'state.json')), false, 'control-plane data removed');
    } finally {
      if (p.exitCode === null) p.kill('SIGKILL');
      await rm(base, { recursive: true, force: true });
    }
  });

  it('tears it all down on Ctrl-C when its output goes through a pipe (npm start | tee)', async function () {
    this.timeout(240_000);
    const base = await mkdtemp(join(tmpdir(), 'demo-pipe-test-'));
    const dir = join(base, 'cp');
    const log = join(base, 'demo.log');
    const env = { ...process.env };
    delete env.KUBECONFIG;
    // What a terminal does: the pipeline in a process group of its own, and
    // Ctrl-C sends SIGINT to the whole group (npm, node and tee alike).
    const p = spawn(
      'sh',
      ['-c', `npm start --silent -- --dir '${dir}' 2>&1 | tee '${log}' >/dev/null`],
      { cwd: ROOT, env, detached: true, stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    const output = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
    try {
      await waitFor(
        'all HEALTHY',
        async () => /All 3 IstioOperators are HEALTHY/.test(output()),
        200_000,
        () => (p.exitCode !== null ? `the pipeline exited early:\n${output()}` : undefined),
        250,
      );
      const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as ControlPlaneState;
      assert.ok(state.processes.length >= 6, 'etcd, egress proxy, apiserver, cm, scheduler, kwok');
      // The demo file installs 1.30: the closing hint is the real upgrade to
      // 1.31, and the local istiod is 1.30's pilot-discovery.
      await waitFor(
        'the closing hint',
        async () => /Press Ctrl-C/.test(output()),
        30_000,
        undefined,
        250,
      );
      assert.match(
        output(),
        /patch iop control-plane --type merge -p '\{"spec":\{"tag":"1\.31\.4"\}\}'/,
      );
      assert.match(output(), /upgrade Istio 1\.30 to 1\.31/);
      assert.match(
        output(),
        /istiod istio-system\/istiod is the real pilot-discovery 1\.30 \(Istio 1\.30\.8/,
      );
      process.kill(-p.pid!, 'SIGINT');
      await exited;
      await waitFor(
        'every control-plane process gone',
        async () => !state.processes.some(isAlive),
        30_000,
        undefined,
        100,
      );
      await waitFor(
        'control-plane data removed',
        async () => !existsSync(join(dir, 'state.json')),
        10_000,
        undefined,
        100,
      );
    } finally {
      try {
        process.kill(-p.pid!, 'SIGKILL');
      } catch {
        // the group is gone
      }
      await rm(base, { recursive: true, force: true });
    }
  });
});
