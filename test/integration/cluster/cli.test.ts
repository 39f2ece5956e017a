import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBinaries, MINIMAL_BINARIES } from '../../../src/cluster/binaries.js';
import { type ControlPlaneState } from '../../../src/cluster/controlplane.js';
import { isAlive } from '../../../src/cluster/process.js';
import { runCli } from '../../support/cli.js';

describe('istio-operator cluster up|status|down (minimal mode)', function () {
  let dir: string;
  let state: ControlPlaneState | undefined;

  before(async function () {
    this.timeout(30 * 60_000);
    await ensureBinaries(MINIMAL_BINARIES);
    dir = await mkdtemp(join(tmpdir(), 'istio-operator-cli-'));
  });

  after(async () => {
    // Never leave processes behind, even when an assertion failed midway.
    for (const p of state?.processes ?? []) {
      try {
        process.kill(-p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('starts etcd and kube-apiserver, writes a kubeconfig and prints the export line', async () => {
    const r = await runCli(['cluster', 'up', '--minimal', '--dir', dir], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    const kubeconfig = join(dir, 'kubeconfig');
    assert.match(r.stdout, new RegExp(`^export KUBECONFIG=${kubeconfig}$`, 'm'));
    assert.match(
      r.stdout,
      /Kubernetes v1\.34\.\d+ \(minimal\) is running at https:\/\/127\.0\.0\.1:\d+/,
    );
    assert.match(r.stderr, /starting kube-apiserver/, 'progress is shown');
    state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as ControlPlaneState;
    assert.deepEqual(
      state.processes.map((p) => p.name),
      ['etcd', 'egress-proxy', 'kube-apiserver'],
    );
    for (const p of state.processes) assert.ok(isAlive(p), `${p.name} is running`);
  });

  it('reports the processes as healthy with cluster status', async () => {
    const r = await runCli(['cluster', 'status', '--dir', dir, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const st = JSON.parse(r.stdout) as {
      healthy: boolean;
      mode: string;
      processes: { running: boolean }[];
    };
    assert.equal(st.healthy, true);
    assert.equal(st.mode, 'minimal');
    assert.ok(st.processes.every((p) => p.running));
  });

  it('is idempotent: a second cluster up keeps the running control plane', async () => {
    const r = await runCli(['cluster', 'up', '--minimal', '--dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /already running/);
    const again = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as ControlPlaneState;
    assert.deepEqual(
      again.processes.map((p) => p.pid),
      state!.processes.map((p) => p.pid),
    );
  });

  it('refuses to start a full control plane over a running minimal one, naming the fix', async () => {
    const r = await runCli(['cluster', 'up', '--dir', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /a minimal control plane already runs in .*cluster down --dir/);
  });

  it('stops every process and removes the data with cluster down', async () => {
    const r = await runCli(['cluster', 'down', '--dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /stopped 3 process\(es\)/);
    // isAlive, not kill(pid, 0): a stopped process may linger as a zombie until init reaps it.
    for (const p of state!.processes) {
      assert.equal(isAlive(p), false, `${p.name} (pid ${p.pid}) still runs`);
    }
    for (const f of ['state.json', 'kubeconfig', 'pki', 'etcd-data'])
      assert.equal(existsSync(join(dir, f)), false, f);
    const st = await runCli(['cluster', 'status', '--dir', dir]);
    assert.equal(st.code, 1);
    assert.match(st.stdout, /no control plane in/);
  });

  it('runs two control planes side by side in different folders', async function () {
    const dirs = [await mkdtemp(join(tmpdir(), 'cp-a-')), await mkdtemp(join(tmpdir(), 'cp-b-'))];
    try {
      const results = await Promise.all(
        dirs.map((d) => runCli(['cluster', 'up', '--minimal', '--dir', d], { timeoutMs: 120_000 })),
      );
      for (const r of results) assert.equal(r.code, 0, r.stderr);
      const servers = dirs.map(
        (d) =>
          (JSON.parse(readFileSync(join(d, 'state.json'), 'utf8')) as ControlPlaneState).server,
      );
      assert.notEqual(servers[0], servers[1]);
      for (const d of dirs) assert.equal((await runCli(['cluster', 'status', '--dir', d])).code, 0);
    } finally {
      for (const d of dirs) {
        await runCli(['cluster', 'down', '--dir', d]);
        await rm(d, { recursive: true, force: true });
      }
    }
  });
});
