import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { IstioOperator } from '../../../src/api/types.js';
import { WATCHED_KINDS } from '../../../src/apply/kinds.js';
import { identity, writtenByOperator } from '../../../src/apply/live.js';
import { waitFor } from '../../../src/cluster/health.js';
import type { OperatorManager } from '../../../src/controller/manager.js';
import { render } from '../../../src/controller/desired.js';
import { KubeClient } from '../../../src/kube/client.js';
import { isNotFound, toKubeError } from '../../../src/kube/errors.js';
import { FaultProxy, type RequestRecord, type Verb } from '../../support/fault-proxy.js';
import { iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';
import { LABELS } from '../../../src/api/vocabulary.js';
import { keepForSuite } from '../../support/operator-leaks.js';

const WRITES: Verb[] = ['create', 'update', 'patch', 'apply', 'delete'];
/** How long each fault stays on. */
const WINDOW_MS = 6000;
/**
 * Request-rate bounds during a fault window. With backoff the operator sends
 * a few requests per second, and the same request (verb, path, selector)
 * comes at most once or twice in the second half of a window, its retries
 * spreading out exponentially. Without backoff the informers' relist loop
 * on 410 measured 107-115 requests/s (6 to 8 of each list and watch every
 * 3 s), and a reconcile loop would resend a dozen writes every few tens of
 * milliseconds.
 */
const MAX_WRITES_PER_S = 30;
const MAX_REQUESTS_PER_S = 40;
const MAX_SAME_REQUEST_IN_SECOND_HALF = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const perSecond = (n: number, ms: number) => n / (ms / 1000);
const note = (line: string) => process.stderr.write(`      [http-faults] ${line}\n`);

describe('faults: HTTP faults between the operator and the API server (fault proxy)', function () {
  let env: OperatorEnv;
  let proxy: FaultProxy;
  let ns: string;
  let manager: OperatorManager | undefined;
  const NAME = 'cp';

  const getIop = () => env.getIop(ns, NAME);
  const spec = (accessLogFile?: string) => ({
    profile: 'default',
    namespace: ns,
    components: {
      ingressGateways: [{ name: 'istio-ingressgateway', enabled: true, namespace: ns }],
    },
    ...(accessLogFile ? { meshConfig: { accessLogFile } } : {}),
  });
  const meshConfig = async () => {
    const cm = (await env.client.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio', namespace: ns },
    })) as k8s.V1ConfigMap;
    return cm.data?.mesh ?? '';
  };

  /** Waits for HEALTHY at the latest generation; returns how long it took. */
  async function healthy(timeoutMs = 90_000): Promise<number> {
    const t0 = Date.now();
    await waitFor(
      `${NAME} HEALTHY at its latest generation`,
      async () => {
        const iop = await getIop();
        return (
          iop.status?.status === 'HEALTHY' &&
          iop.status.observedGeneration === iop.metadata.generation
        );
      },
      timeoutMs,
      undefined,
      100,
    );
    return Date.now() - t0;
  }

  /**
   * Every rendered object exists, and the operator owns nothing else under
   * this IstioOperator: nothing missing, nothing left over or duplicated.
   */
  async function assertConverged(): Promise<void> {
    const iop = await getIop();
    const desired: string[] = [];
    for (const o of render(iop).objects) {
      // The Base (CRDs) is shared: another test file's IstioOperator may own it.
      if (o.metadata.labels?.[LABELS.component] === 'Base') {
        const live = await env.client.get(o).catch(() => undefined);
        const labels = live?.metadata?.labels ?? {};
        const owner = labels[LABELS.owner];
        if (owner && (owner !== NAME || labels[LABELS.ownerNamespace] !== ns)) continue;
      }
      desired.push(identity(o as k8s.KubernetesObject));
    }
    desired.sort();
    const live: string[] = [];
    const selector = `${LABELS.owner}=${NAME},${LABELS.ownerNamespace}=${ns}`;
    for (const w of WATCHED_KINDS) {
      let items: k8s.KubernetesObject[];
      try {
        items = await env.client.list(w, undefined, selector);
      } catch (err) {
        if (isNotFound(err)) continue; // a kind whose CRD is not installed
        throw err;
      }
      for (const o of items) if (writtenByOperator(o)) live.push(identity(o));
    }
    assert.deepEqual(live.sort(), desired);
    assert.equal(new Set(live).size, live.length, 'no object twice');
    const deployments = await env.client.list<k8s.V1Deployment>(
      { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
      ns,
    );
    assert.deepEqual(deployments.map((d) => d.metadata?.name).sort(), [
      'istio-ingressgateway',
      'istiod',
    ]);
  }

  /** Keeps a fault on for WINDOW_MS; returns the window on the proxy clock. */
  async function faultWindow(
    on: () => void,
    during?: () => Promise<void>,
  ): Promise<{ from: number; to: number }> {
    const from = proxy.now();
    on();
    await Promise.all([sleep(WINDOW_MS), during?.()]);
    proxy.clear();
    return { from, to: proxy.now() };
  }

  function assertRates(
    what: string,
    w: { from: number; to: number },
    extra: (r: RequestRecord) => boolean = () => true,
  ): void {
    const ms = w.to - w.from;
    const all = proxy.requests(w.from, w.to).filter(extra);
    const writes = all.filter((r) => WRITES.includes(r.verb));
    note(
      `${what}: ${all.length} requests in ${ms} ms (${perSecond(all.length, ms).toFixed(1)}/s), ` +
        `${writes.length} writes (${perSecond(writes.length, ms).toFixed(1)}/s); by verb ` +
        JSON.stringify(proxy.countByVerb(w.from, w.to)),
    );
    assert.ok(
      perSecond(writes.length, ms) <= MAX_WRITES_PER_S,
      `${what}: ${writes.length} writes in ${ms} ms exceeds ${MAX_WRITES_PER_S}/s`,
    );
    assert.ok(
      perSecond(all.length, ms) <= MAX_REQUESTS_PER_S,
      `${what}: ${all.length} requests in ${ms} ms exceeds ${MAX_REQUESTS_PER_S}/s`,
    );
    const same = new Map<string, number>();
    for (const r of all.filter((r) => r.at >= w.from + ms / 2)) {
      const key = `${r.verb} ${r.path} ${r.selector ?? ''}`;
      same.set(key, (same.get(key) ?? 0) + 1);
    }
    const [worst, n] = [...same].sort((a, b) => b[1] - a[1])[0] ?? ['none', 0];
    note(`${what}: the most repeated request in the second half: ${n}× ${worst}`);
    assert.ok(
      n <= MAX_SAME_REQUEST_IN_SECOND_HALF,
      `${what}: ${worst} sent ${n} times in the second half of the window`,
    );
  }

  before(async function () {
    this.timeout(30 * 60_000);
    env = await operatorEnv();
    proxy = new FaultProxy(env.kc);
    await proxy.start();
    ns = await env.namespace('http-faults');
  });

  after(async function () {
    this.timeout(120_000);
    // FAULT_PROXY_LOG=<file>: every proxied request as JSON lines, to diagnose a failure.
    if (process.env.FAULT_PROXY_LOG && proxy) {
      writeFileSync(
        process.env.FAULT_PROXY_LOG,
        proxy.log.map((r) => JSON.stringify(r)).join('\n'),
      );
    }
    proxy?.clear();
    if (manager && ns) {
      // Uninstall through the operator, so the next test's IstioOperator may adopt the CRDs.
      await env.client.delete(iopRef(ns, NAME)).catch(() => undefined);
      await waitFor(
        'IstioOperator gone',
        async () => !(await env.exists(iopRef(ns, NAME))),
        60_000,
      ).catch(() => undefined);
    }
    await manager?.stop();
    await proxy?.stop();
    if (ns) {
      await env.client
        .delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
        .catch(() => undefined);
    }
  });

  it('the proxy forwards over its own TLS, records verbs and injects each fault', async function () {
    this.timeout(60_000);
    const kc = proxy.kubeConfig();
    const client = new KubeClient(kc);
    const nsRef = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } };
    const from = proxy.now();
    await client.get(nsRef);
    await client.list(
      { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
      ns,
    );
    assert.deepEqual(proxy.countByVerb(from), { get: 1, list: 1 });

    let off = proxy.inject(
      { verbs: ['get'], resources: ['namespaces'] },
      { kind: 'status', code: 500 },
    );
    await assert.rejects(client.get(nsRef), (e) => toKubeError(e).code === 500);
    off();
    off = proxy.inject({ verbs: ['get'] }, { kind: 'reset' });
    await assert.rejects(client.get(nsRef), (e) => toKubeError(e).code === 0);
    off();
    off = proxy.inject({ verbs: ['get'] }, { kind: 'delay', ms: 400 });
    const t0 = Date.now();
    await client.get(nsRef);
    assert.ok(Date.now() - t0 >= 400, `delayed ${Date.now() - t0} ms`);
    off();

    // Watches: an HTTP 410, an in-stream 410 ERROR event, a silent stream.
    const watch = (ms: number) =>
      new Promise<{ events: { type: string; code?: number }[]; err: unknown }>((resolve) => {
        const events: { type: string; code?: number }[] = [];
        let ctl: AbortController | undefined;
        const timer = setTimeout(() => {
          resolve({ events, err: 'timeout' });
          ctl?.abort();
        }, ms);
        void new k8s.Watch(kc)
          .watch(
            `/api/v1/namespaces/${ns}/configmaps`,
            {},
            (type, obj: { code?: number }) => events.push({ type, code: obj.code }),
            (err) => {
              clearTimeout(timer);
              resolve({ events, err });
            },
          )
          .then((c) => (ctl = c));
      });
    off = proxy.inject({ watch: true }, { kind: 'status', code: 410 });
    const gone = await watch(5000);
    assert.equal((gone.err as { statusCode?: number }).statusCode, 410);
    off();
    off = proxy.inject({ watch: true }, { kind: 'gone-event' });
    const expired = await watch(5000);
    assert.deepEqual(expired.events, [{ type: 'ERROR', code: 410 }]);
    off();
    off = proxy.inject({ watch: true }, { kind: 'silent' });
    const silentWatch = watch(1500);
    await waitFor('silent watch open', async () => proxy.openWatches() > 0, 5000, undefined, 20);
    await env.client.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'while-silent', namespace: ns },
    });
    const silent = await silentWatch;
    assert.deepEqual(silent, { events: [], err: 'timeout' });
    off();
    const plain = await watch(1500);
    assert.ok(
      plain.events.some((e) => e.type === 'ADDED'),
      `an unfaulted watch delivers events: ${JSON.stringify(plain.events)}`,
    );
    assert.equal(proxy.requests(from).filter((r) => r.verb === 'watch').length, 4);
  });

  it('backs off while every write answers 500 mid-install, then converges', async function () {
    this.timeout(240_000);
    manager = keepForSuite(await env.startOperator([ns], { kubeConfig: proxy.kubeConfig() }));
    const t0 = proxy.now();
    await env.client.apply({ ...iopRef(ns, NAME), spec: spec() });
    // Mid-install: as soon as the first object has been applied.
    await waitFor(
      'install under way',
      async () =>
        proxy.requests(t0).some((r) => r.verb === 'apply' && r.status >= 200 && r.status < 300),
      60_000,
      undefined,
      5,
    );
    const w = await faultWindow(() =>
      proxy.inject({ verbs: WRITES }, { kind: 'status', code: 500 }),
    );
    assertRates('500 on every write', w);
    const failed = proxy.requests(w.from, w.to, (r) => r.fault === 'status 500');
    assert.ok(failed.length > 0, 'the operator kept trying during the fault');
    // Backoff, not a fixed period: the retries thin out over the window.
    const firstHalf = failed.filter((r) => r.at < w.from + WINDOW_MS / 2).length;
    const secondHalf = failed.length - firstHalf;
    assert.ok(
      secondHalf < firstHalf,
      `failed writes per half-window: ${firstHalf} then ${secondHalf}`,
    );
    const ms = await healthy();
    note(`500s: HEALTHY ${ms} ms after the fault stopped`);
    await assertConverged();
  });

  it('waits as long as Retry-After says on 429, then converges', async function () {
    this.timeout(240_000);
    assert.ok(manager, 'the operator runs (previous test)');
    const RETRY_AFTER = 2;
    const w = await faultWindow(
      () =>
        // Applies only: the status write that starts the reconcile goes
        // through, so the many parallel applies of a change get throttled.
        proxy.inject(
          { verbs: ['apply'] },
          { kind: 'status', code: 429, retryAfterSeconds: RETRY_AFTER },
        ),
      async () => {
        await env.client.apply({ ...iopRef(ns, NAME), spec: spec('/dev/stdout') });
      },
    );
    assertRates('429 on every apply', w);
    const throttled = proxy.requests(w.from, w.to, (r) => r.fault === 'status 429');
    assert.ok(throttled.length > 0, 'writes were throttled');
    // No request the server throttled came again before Retry-After had passed.
    const early: string[] = [];
    for (const r of throttled) {
      const next = proxy
        .requests(r.at + 0.001)
        .find((n) => n.method === r.method && n.path === r.path);
      if (next && next.at - r.at < RETRY_AFTER * 1000) {
        early.push(`${r.method} ${r.path} again after ${next.at - r.at} ms`);
      }
    }
    assert.deepEqual(early, [], 'requests retried before Retry-After');
    const ms = await healthy();
    note(`429s: HEALTHY ${ms} ms after the fault stopped`);
    assert.match(await meshConfig(), /accessLogFile: \/dev\/stdout/);
    await assertConverged();
  });

  it('converges after slow answers, connection resets and silent watches', async function () {
    this.timeout(240_000);
    assert.ok(manager, 'the operator runs (previous test)');
    const w = await faultWindow(
      () => {
        // Every watch but the IstioOperators' goes silent (that one must see
        // the change for the operator to act on it, against a slow server
        // that resets its writes).
        proxy.inject(
          { watch: true, where: (r) => r.resource !== 'istiooperators' },
          { kind: 'silent' },
        );
        proxy.inject({ verbs: ['apply', 'update'] }, { kind: 'reset' });
        proxy.inject({ watch: false }, { kind: 'delay', ms: 1000 });
        proxy.endWatches(); // every informer re-watches, into silence
      },
      async () => {
        await env.client.apply({ ...iopRef(ns, NAME), spec: spec('/dev/stderr') });
      },
    );
    // The stalled connections finally break, as a middlebox's eventually do.
    proxy.endWatches();
    assertRates('slow, reset and silent', w);
    assert.ok(
      proxy.requests(w.from, w.to, (r) => r.fault === 'reset').length > 0,
      'writes were reset',
    );
    const ms = await healthy();
    note(`slow/reset/silent: HEALTHY ${ms} ms after the fault stopped`);
    assert.match(await meshConfig(), /accessLogFile: \/dev\/stderr/);
    await assertConverged();
  });

  for (const variant of ['HTTP 410', 'in-stream 410 ERROR event'] as const) {
    it(`relists on ${variant} for every watch and picks up a change made meanwhile`, async function () {
      this.timeout(240_000);
      assert.ok(manager, 'the operator runs (previous tests)');
      const file = variant === 'HTTP 410' ? '/dev/gone-http' : '/dev/gone-event';
      // After earlier faults an informer may still be backing off: start
      // once the IstioOperator informer has been watching again for a while
      // (it counts its watch as working, and resets its backoff, after 1 s).
      await waitFor(
        'IstioOperator watch open',
        async () => proxy.openWatches('istiooperators', 1500) > 0,
        60_000,
        undefined,
        50,
      );
      const w = await faultWindow(
        () => {
          proxy.inject(
            { watch: true },
            variant === 'HTTP 410' ? { kind: 'status', code: 410 } : { kind: 'gone-event' },
          );
          if (variant === 'HTTP 410') proxy.endWatches();
          else proxy.expireWatches();
        },
        async () => {
          await sleep(1000);
          await env.client.apply({ ...iopRef(ns, NAME), spec: spec(file) });
        },
      );
      assertRates(variant, w);
      const relists = proxy.requests(
        w.from,
        w.to,
        (r) => r.verb === 'list' && r.resource === 'istiooperators',
      );
      assert.ok(relists.length >= 1, 'the IstioOperator informer relisted');
      const ms = await healthy();
      note(`${variant}: HEALTHY ${ms} ms after the fault stopped`);
      assert.ok((await meshConfig()).includes(`accessLogFile: ${file}`));
      await assertConverged();
      const iop: IstioOperator = await getIop();
      assert.equal(iop.status?.observedGeneration, iop.metadata.generation);
    });
  }

  it('listed the absent NetworkAttachmentDefinition type once, and waits on its CRD instead of polling', async () => {
    assert.ok(manager, 'the operator runs (previous tests)');
    await assert.rejects(
      env.client.get({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'network-attachment-definitions.k8s.cni.cncf.io' },
      }),
      (e) => isNotFound(e),
      'the control plane has no Multus CRD',
    );
    const lists = proxy.requests(
      0,
      Infinity,
      (r) => r.verb === 'list' && r.resource === 'network-attachment-definitions',
    );
    const runningMs = proxy.now() - (lists[0]?.at ?? 0);
    note(`NetworkAttachmentDefinition lists in ${runningMs} ms of operation: ${lists.length}`);
    assert.ok(runningMs > 30_000, `the operator has run long enough to tell (${runningMs} ms)`);
    assert.equal(lists.length, 1, 'one list, no polling (it listed every 15-30 s before)');
    assert.equal(lists[0]!.status, 404);
    const crdWatches = proxy.requests(
      0,
      Infinity,
      (r) =>
        r.verb === 'watch' &&
        r.selector === 'metadata.name=network-attachment-definitions.k8s.cni.cncf.io',
    );
    assert.ok(crdWatches.length >= 1, 'it watches for the CRD');
  });
});
