import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { probe, waitFor } from '../../../src/cluster/health.js';
import { freePort } from '../../../src/cluster/ports.js';
import {
  LeaderElector,
  microTime,
  type Lease,
  type LeaderElectionOptions,
} from '../../../src/runtime/leader.js';
import { OperatorManager } from '../../../src/controller/manager.js';
import { KubeClient, type ObjectRef } from '../../../src/kube/client.js';
import { isConflict } from '../../../src/kube/errors.js';
import { useCluster } from '../../support/cluster.js';
import { spawnCli } from '../../support/cli.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';

/** Short timings so failover tests take seconds: 3 s lease, 2 s renew deadline, 0.5 s retry. */
const FAST = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };

/** A KubeConfig like `kc` but talking to the API server through `port`. */
function viaPort(kc: k8s.KubeConfig, port: number): k8s.KubeConfig {
  const out = new k8s.KubeConfig();
  out.loadFromOptions({
    clusters: [{ ...kc.getCurrentCluster()!, server: `https://127.0.0.1:${port}` }],
    users: kc.getUsers(),
    contexts: kc.getContexts(),
    currentContext: kc.getCurrentContext(),
  });
  return out;
}

/** A candidate with the moments (monotonic ms) its callbacks fired. */
interface Candidate {
  elector: LeaderElector;
  startedAt?: number;
  stoppedAt?: number;
}

describe('leader election on a real control plane', function () {
  let env: OperatorEnv;
  let ns: string;
  const running: Candidate[] = [];

  const leaseRef = (name: string): ObjectRef => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: ns },
  });
  const getLease = async (name: string) => await env.client.get<Lease>(leaseRef(name));

  function candidate(name: string, opts: Partial<LeaderElectionOptions> = {}): Candidate {
    const c: Candidate = {
      elector: new LeaderElector({
        // One client per candidate, as two processes would have.
        client: new KubeClient(env.kc),
        namespace: ns,
        name,
        ...FAST,
        ...opts,
        onStartedLeading: () => {
          c.startedAt = performance.now();
          opts.onStartedLeading?.();
        },
        onStoppedLeading: () => {
          c.stoppedAt = performance.now();
          opts.onStoppedLeading?.();
        },
      }),
    };
    running.push(c);
    return c;
  }

  const leaderOf = async (
    a: Candidate,
    b: Candidate,
    timeoutMs = 10_000,
  ): Promise<[Candidate, Candidate]> => {
    await waitFor(
      'a leader',
      async () => a.elector.isLeader() || b.elector.isLeader(),
      timeoutMs,
      undefined,
      50,
    );
    return a.elector.isLeader() ? [a, b] : [b, a];
  };

  /** Writes another holder into the Lease (retrying when a renewal wins the race). */
  const steal = (name: string) =>
    waitFor(
      'Lease taken',
      async () => {
        const lease = await getLease(name);
        const now = microTime(new Date());
        try {
          await env.client.replace<Lease>({
            ...lease,
            spec: { ...lease.spec, holderIdentity: 'thief', acquireTime: now, renewTime: now },
          });
          return true;
        } catch (err) {
          if (isConflict(err)) return false;
          throw err;
        }
      },
      10_000,
      undefined,
      10,
    );

  /** Asserts `check` holds on every poll for `ms` (absence of an event can only be watched). */
  const holdsFor = async (what: string, ms: number, check: () => boolean) => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      assert.ok(check(), what);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  before(async function () {
    this.timeout(30 * 60_000);
    env = await operatorEnv();
    ns = await env.namespace('leader');
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.elector.stop()));
  });

  after(async () => {
    await env?.client
      .delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
      .catch(() => undefined);
  });

  it('of two candidates exactly one leads, and the Lease names it', async () => {
    const name = `one-${randomBytes(3).toString('hex')}`;
    const a = candidate(name);
    const b = candidate(name);
    a.elector.start();
    b.elector.start();
    const [leader, follower] = await leaderOf(a, b);
    // Two lease durations: long enough for the follower to have renewed its view several times.
    await holdsFor('exactly one leader', 2 * FAST.leaseDurationMs, () => {
      return leader.elector.isLeader() && !follower.elector.isLeader();
    });
    assert.equal(follower.startedAt, undefined, 'the follower never led');
    assert.equal(leader.stoppedAt, undefined, 'the leader never lost');
    const lease = await getLease(name);
    assert.equal(lease.spec?.holderIdentity, leader.elector.identity);
    assert.equal(lease.spec?.leaseDurationSeconds, 3);
    assert.match(leader.elector.identity, new RegExp(`^${hostname()}_[0-9a-f]{8}$`));
    assert.notEqual(a.elector.identity, b.elector.identity);
  });

  it('hands over within the lease duration when the leader releases', async () => {
    const name = `release-${randomBytes(3).toString('hex')}`;
    const a = candidate(name);
    const b = candidate(name);
    a.elector.start();
    b.elector.start();
    const [leader, follower] = await leaderOf(a, b);
    const before = (await getLease(name)).spec?.leaseTransitions ?? 0;
    const t0 = performance.now();
    await leader.elector.release();
    assert.equal(leader.elector.isLeader(), false);
    await waitFor(
      'the follower leads',
      async () => follower.elector.isLeader(),
      FAST.leaseDurationMs,
      undefined,
      20,
    );
    const ms = follower.startedAt! - t0;
    console.log(`      failover after release: ${Math.round(ms)} ms`);
    assert.ok(ms < FAST.leaseDurationMs, `took ${ms} ms`);
    assert.equal(leader.stoppedAt, undefined, 'a release is not a loss');
    const lease = await getLease(name);
    assert.equal(lease.spec?.holderIdentity, follower.elector.identity);
    assert.equal(lease.spec?.leaseTransitions, before + 1);
  });

  it('takes over from a leader that stopped renewing after the lease expires, not before', async () => {
    const name = `crash-${randomBytes(3).toString('hex')}`;
    const a = candidate(name);
    const b = candidate(name);
    a.elector.start();
    b.elector.start();
    const [leader, follower] = await leaderOf(a, b);
    await leader.elector.stop(); // as a crash: the Lease still names it
    const lastRenew = leader.elector.lastRenewMs;
    assert.equal((await getLease(name)).spec?.holderIdentity, leader.elector.identity);
    // Worst case: the follower saw the last renewal one (jittered) retry after it was sent.
    await waitFor(
      'the follower leads',
      async () => follower.elector.isLeader(),
      FAST.leaseDurationMs + 3 * FAST.retryPeriodMs,
      undefined,
      20,
    );
    const ms = follower.startedAt! - lastRenew;
    console.log(`      failover after a crash: ${Math.round(ms)} ms after the last renewal`);
    assert.ok(ms >= FAST.leaseDurationMs, `took over ${ms} ms after the last renewal`);
  });

  it('a leader cut off from the API server stops at the renew deadline, before the standby leads', async () => {
    const name = `cut-${randomBytes(3).toString('hex')}`;
    const port = Number(new URL(env.kc.getCurrentCluster()!.server).port);
    const proxy = new TcpProxy(port);
    const cutOff = viaPort(env.kc, await proxy.start());
    try {
      const a = candidate(name, { client: new KubeClient(cutOff) });
      a.elector.start();
      await waitFor('a leads', async () => a.elector.isLeader(), 10_000, undefined, 50);
      const b = candidate(name);
      b.elector.start();
      proxy.mode = 'blackhole'; // requests hang: only the deadline can end them
      await waitFor(
        'b leads',
        async () => b.elector.isLeader(),
        FAST.leaseDurationMs + 3 * FAST.retryPeriodMs,
        undefined,
        20,
      );
      assert.ok(a.stoppedAt !== undefined, 'a gave up');
      const gaveUpAfter = a.stoppedAt - a.elector.lastRenewMs;
      console.log(
        `      cut-off leader gave up ${Math.round(gaveUpAfter)} ms after its last renewal; ` +
          `standby led ${Math.round(b.startedAt! - a.stoppedAt)} ms later`,
      );
      // Timers may fire up to a millisecond early by performance.now().
      assert.ok(gaveUpAfter >= FAST.renewDeadlineMs - 2, `gave up after ${gaveUpAfter} ms`);
      assert.ok(
        gaveUpAfter < FAST.renewDeadlineMs + FAST.retryPeriodMs,
        `gave up after ${gaveUpAfter} ms`,
      );
      assert.ok(b.startedAt! > a.stoppedAt, 'never two leaders');
    } finally {
      await proxy.stop();
    }
  });

  it('release is bounded by the renew deadline when the API server does not answer', async () => {
    const name = `hung-${randomBytes(3).toString('hex')}`;
    const port = Number(new URL(env.kc.getCurrentCluster()!.server).port);
    const proxy = new TcpProxy(port);
    const cutOff = viaPort(env.kc, await proxy.start());
    try {
      const a = candidate(name, { client: new KubeClient(cutOff) });
      a.elector.start();
      await waitFor('a leads', async () => a.elector.isLeader(), 10_000, undefined, 50);
      proxy.mode = 'blackhole';
      const t0 = performance.now();
      await a.elector.release();
      const ms = performance.now() - t0;
      assert.ok(ms < 2 * FAST.renewDeadlineMs + 500, `release took ${ms} ms`);
      assert.equal(
        (await getLease(name)).spec?.holderIdentity,
        a.elector.identity,
        'not released: the claim expires on its own',
      );
    } finally {
      await proxy.stop();
    }
  });

  it('gives up leadership when the Lease is taken from it', async () => {
    const name = `stolen-${randomBytes(3).toString('hex')}`;
    const a = candidate(name);
    a.elector.start();
    await waitFor('a leads', async () => a.elector.isLeader(), 10_000, undefined, 50);
    await steal(name);
    await waitFor(
      'a notices',
      async () => a.stoppedAt !== undefined,
      FAST.renewDeadlineMs + FAST.retryPeriodMs,
      undefined,
      20,
    );
    assert.equal(a.elector.isLeader(), false);
    assert.equal((await getLease(name)).spec?.holderIdentity, 'thief', 'it does not fight back');
  });

  it('two operators: only the leader reconciles, and the standby takes over a change', async () => {
    const name = `operators-${randomBytes(3).toString('hex')}`;
    const iopNs = await env.namespace('leader-iop');
    const pair = [0, 1].map(() => {
      const m = new OperatorManager({
        kubeConfig: env.kc,
        watchNamespaces: [iopNs],
        requeueWhileRollingMs: 500,
      });
      return { m, c: candidate(name, { onStartedLeading: () => m.startWorkers() }) };
    });
    const stopAll = () => Promise.all(pair.map((p) => p.m.stop()));
    try {
      await Promise.all(pair.map((p) => p.m.start({ workers: false })));
      assert.ok(
        pair.every((p) => p.m.isReady()),
        'both ready (caches synced) before leading',
      );
      pair.forEach((p) => p.c.elector.start());
      const [leaderC] = await leaderOf(pair[0]!.c, pair[1]!.c);
      const leader = pair.find((p) => p.c === leaderC)!;
      const standby = pair.find((p) => p.c !== leaderC)!;
      assert.ok(leader.m.hasWorkers() && !standby.m.hasWorkers());

      const healthy = (generation: number) =>
        waitFor(
          `HEALTHY at generation ${generation}`,
          async () => {
            const iop = await env.getIop(iopNs, 'minimal');
            return (
              iop.status?.status === 'HEALTHY' &&
              iop.metadata.generation === generation &&
              iop.status.observedGeneration === generation
            );
          },
          60_000,
          undefined,
          200,
        );
      await env.client.apply({
        ...iopRef(iopNs, 'minimal'),
        spec: { profile: 'minimal', namespace: iopNs },
      });
      await healthy(1);
      assert.ok(leader.m.counts.done > 0, 'the leader reconciled');
      assert.equal(standby.m.client.total(['apply', 'update', 'patch', 'create', 'delete']), 0);
      assert.deepEqual(
        standby.m.counts,
        { done: 0, requeueAfter: 0, terminal: 0, error: 0, conflict: 0 },
        'the standby reconciled nothing',
      );

      // Shut the leader down as SIGTERM does: workers first, then the Lease.
      await leader.m.stop();
      const t0 = performance.now();
      await leader.c.elector.release();
      await env.client.apply({
        ...iopRef(iopNs, 'minimal'),
        spec: {
          profile: 'minimal',
          namespace: iopNs,
          meshConfig: { accessLogFile: '/dev/stdout' },
        },
      });
      await waitFor(
        'the standby leads',
        async () => standby.c.elector.isLeader(),
        FAST.leaseDurationMs,
        undefined,
        20,
      );
      console.log(
        `      standby operator leads ${Math.round(standby.c.startedAt! - t0)} ms after release`,
      );
      await healthy(2);
      assert.ok(standby.m.counts.done > 0, 'the new leader reconciled the change');
      const mesh = await env.client.get<k8s.V1ConfigMap>({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'istio', namespace: iopNs },
      });
      assert.match(mesh.data?.mesh ?? '', /accessLogFile: \/dev\/stdout/);

      // Uninstall through the operator that leads, so the namespace is left clean.
      await env.client.delete(iopRef(iopNs, 'minimal'));
      await env.uninstalled(iopNs, 'minimal', 30_000);
    } finally {
      await stopAll();
      await env.client
        .delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: iopNs } })
        .catch(() => undefined);
    }
  });

  it('run --leader-elect: leads, releases the Lease on SIGTERM (exit 0), exits 1 when the Lease is taken', async () => {
    const { kubeconfig } = await useCluster();
    const name = `run-${randomBytes(3).toString('hex')}`;
    const start = async () => {
      const health = await freePort();
      const p = spawnCli([
        '--log-format',
        'json',
        'run',
        '--kubeconfig',
        kubeconfig,
        '--watch-namespaces',
        ns,
        '--health-addr',
        `127.0.0.1:${health}`,
        '--metrics-addr',
        '',
        '--leader-elect',
        '--leader-election-namespace',
        ns,
        '--leader-election-id',
        name,
      ]);
      const proc = { p, output: '', exited: new Promise<number | null>((r) => p.on('exit', r)) };
      p.stdout.on('data', (c: Buffer) => (proc.output += c.toString()));
      p.stderr.on('data', (c: Buffer) => (proc.output += c.toString()));
      const alive = () => (p.exitCode !== null ? `operator exited:\n${proc.output}` : undefined);
      await waitFor(
        'readyz',
        async () => (await probe(`http://127.0.0.1:${health}/readyz`)).status === 200,
        60_000,
        alive,
        100,
      );
      await waitFor(
        'leading',
        async () => proc.output.includes('"message":"leading: workers running"'),
        20_000,
        alive,
        100,
      );
      return proc;
    };

    const first = await start();
    try {
      const holder = (await getLease(name)).spec?.holderIdentity ?? '';
      assert.match(holder, new RegExp(`^${hostname()}_[0-9a-f]{8}$`));
      first.p.kill('SIGTERM');
      assert.equal(await first.exited, 0, first.output);
      assert.match(first.output, /"message":"released leadership"/);
      const lease = await getLease(name);
      assert.equal(lease.spec?.holderIdentity, '', 'released');
      assert.equal(lease.spec?.leaseDurationSeconds, 1);
    } finally {
      if (first.p.exitCode === null) first.p.kill('SIGKILL');
    }

    const second = await start();
    try {
      await steal(name);
      assert.equal(await second.exited, 1, second.output);
      assert.match(second.output, /"message":"leader election lost: exiting"/);
    } finally {
      if (second.p.exitCode === null) second.p.kill('SIGKILL');
    }
  });
});
