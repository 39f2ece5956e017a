import type * as k8s from '@kubernetes/client-node';
import yaml from 'js-yaml';
import assert from 'node:assert/strict';
import { waitFor } from '../../../src/cluster/health.js';
import type { OperatorManager, ReconcileRecord } from '../../../src/controller/manager.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { sendSpecBurst } from '../../support/burst.js';
import { iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';

const UPDATES = 50;
const IN_FLIGHT = 4;
/** The queue's default: a burst holds a reconcile back at most this long. */
const COALESCE_MAX_MS = 1000;

describe('operator: a burst of spec updates to one IstioOperator', function () {
  let env: OperatorEnv;
  let client: KubeClient;
  let manager: OperatorManager;
  let ns: string;
  const trace: ReconcileRecord[] = [];
  const ref = () => iopRef(ns, 'burst');
  const logFile = (i: number) => `/tmp/burst-${i}.log`;

  const meshAccessLog = async () => {
    const cm = (await client.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio', namespace: ns },
    })) as k8s.V1ConfigMap;
    return (yaml.load(cm.data?.mesh ?? '') as { accessLogFile?: string } | undefined)
      ?.accessLogFile;
  };
  const healthyForGeneration = async () => {
    const iop = await env.getIop(ns, 'burst');
    return (
      iop.status?.status === 'HEALTHY' && iop.status.observedGeneration === iop.metadata.generation
    );
  };
  const idle = () => waitFor('operator idle', async () => manager.isIdle(), 30_000, undefined, 50);

  before(async function () {
    this.timeout(30 * 60_000);
    env = await operatorEnv();
    client = env.client;
    ns = await env.namespace('burst');
    manager = await env.startOperator([ns], { onReconcile: (r) => trace.push(r) });
    // istiod alone (no Base): no cluster-wide CRDs shared with other tests' IstioOperators.
    await client.apply({
      ...ref(),
      spec: {
        profile: 'empty',
        namespace: ns,
        components: { pilot: { enabled: true } },
        meshConfig: { accessLogFile: logFile(0) },
      },
    });
    await waitFor('HEALTHY', healthyForGeneration, 60_000, undefined, 200);
    await idle();
  });

  after(async function () {
    this.timeout(60_000);
    if (!manager) return;
    await client.delete(ref()).catch(() => undefined);
    await waitFor('uninstalled', async () => !(await env.exists(ref())), 30_000, undefined, 200);
    await manager.stop();
  });

  it(`coalesces ${UPDATES} rapid spec updates into a bounded number of reconciles and ends exactly on the last`, async () => {
    const before = trace.length;
    const t0 = Date.now();
    await sendSpecBurst(client, ref(), logFile, UPDATES, IN_FLIGHT);
    const sentMs = Date.now() - t0;

    await waitFor(
      'last value in the istio ConfigMap',
      async () => (await meshAccessLog()) === logFile(UPDATES),
      30_000,
      undefined,
      100,
    );
    await waitFor('HEALTHY for the last generation', healthyForGeneration, 30_000, undefined, 100);
    await idle();

    const iop = await env.getIop(ns, 'burst');
    assert.equal(iop.spec?.meshConfig?.accessLogFile, logFile(UPDATES));
    assert.equal(await meshAccessLog(), logFile(UPDATES));
    assert.equal(iop.status?.status, 'HEALTHY');
    assert.equal(iop.status?.observedGeneration, iop.metadata.generation);
    assert.equal(iop.metadata.generation, UPDATES + 1, 'every update was a new generation');

    const burst = trace.slice(before);
    const results = burst.map((r) => `+${r.startedAt - t0} ms ${r.result}`).join(', ');
    // Without coalescing this was about one reconcile per 40 ms of the burst, most of them
    // conflicts. With it: the first update at once, one more per COALESCE_MAX_MS while updates
    // keep coming, one after the burst, and one for the echo of our own ConfigMap write (and
    // the retry if that one hit a cache that had not yet seen our status write).
    const bound = 4 + Math.ceil(sentMs / COALESCE_MAX_MS);
    assert.ok(
      burst.length <= bound,
      `${burst.length} reconciles for ${UPDATES} updates sent in ${sentMs} ms (bound ${bound}): ${results}`,
    );
    assert.ok(
      burst[0] !== undefined && burst[0].startedAt - t0 < sentMs,
      `the first update is picked up while the burst is still being sent: ${results}`,
    );
  });
});
