import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import type { IstioOperator } from '../../../src/api/types.js';
import { waitFor } from '../../../src/cluster/health.js';
import { render } from '../../../src/controller/desired.js';
import type { OperatorManager } from '../../../src/controller/manager.js';
import { iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';

/**
 * Whose fault a render failure is decides what the operator does: a spec
 * the renderer refuses is terminal (the user must change it), a renderer
 * that throws on a valid spec is the operator's bug — retried with backoff
 * and reported as such, so a transient failure or a fixed operator
 * converges without a spec change.
 */
describe('render failures: an invalid spec is terminal, a renderer bug is retried and reported as ours', function () {
  let env: OperatorEnv;
  let manager: OperatorManager | undefined;
  let ns: string;
  let target: string;
  const NAME = 'control-plane';
  let broken = true;
  const calls = new Map<string, number>();

  const stalled = (iop: IstioOperator) => iop.status?.conditions?.find((c) => c.type === 'Stalled');
  const events = async (reason: string) =>
    (
      await env.client.list<k8s.CoreV1Event>(
        { apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true },
        ns,
      )
    ).filter((e) => e.reason === reason && e.involvedObject.kind === 'IstioOperator');

  before(async function () {
    this.timeout(30 * 60_000);
    env = await operatorEnv();
    ns = await env.namespace('render-fail');
    target = await env.namespace('render-fail-istio');
    manager = await env.startOperator([ns], {
      // The real renderer, except that it throws for the one IstioOperator
      // while `broken` is set, as a renderer bug would (a TypeError).
      render: (iop, others) => {
        const key = `${iop.metadata.namespace}/${iop.metadata.name}`;
        calls.set(key, (calls.get(key) ?? 0) + 1);
        if (broken && iop.metadata.name === NAME) {
          throw new TypeError("Cannot read properties of undefined (reading 'hub')");
        }
        return render(iop, others);
      },
    });
  });

  after(async function () {
    this.timeout(120_000);
    for (const name of [NAME, 'bad-overlay']) {
      await env.client.delete(iopRef(ns, name)).catch(() => undefined);
      await env.uninstalled(ns, name).catch(() => undefined);
    }
    await manager?.stop();
    for (const n of [ns, target]) {
      await env.client
        .delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } })
        .catch(() => undefined);
    }
  });

  it('reports a renderer bug as the operator’s (ERROR, Stalled RenderFailed, an Event) and retries it', async function () {
    this.timeout(120_000);
    await env.client.apply({
      ...iopRef(ns, NAME),
      spec: { profile: 'minimal', namespace: target },
    });
    await waitFor(
      'status ERROR with reason RenderFailed',
      async () => stalled(await env.getIop(ns, NAME))?.reason === 'RenderFailed',
      30_000,
      undefined,
      200,
    );
    const iop = await env.getIop(ns, NAME);
    assert.equal(iop.status?.status, 'ERROR');
    assert.match(iop.status?.message ?? '', /a bug in the operator, not in the spec/);
    assert.match(iop.status?.message ?? '', /reading 'hub'/);
    assert.equal((await events('RenderFailed')).length, 1, 'one RenderFailed Event');
    // Retried with backoff, not parked.
    await waitFor(
      'the render retried',
      async () => (calls.get(`${ns}/${NAME}`) ?? 0) >= 3,
      30_000,
      undefined,
      200,
    );
  });

  it('converges once the renderer works, without a spec change', async function () {
    this.timeout(120_000);
    const generation = (await env.getIop(ns, NAME)).metadata.generation;
    broken = false;
    await waitFor(
      'HEALTHY',
      async () => (await env.getIop(ns, NAME)).status?.status === 'HEALTHY',
      90_000,
      undefined,
      250,
    );
    assert.equal((await env.getIop(ns, NAME)).metadata.generation, generation, 'same spec');
  });

  it('parks a spec the renderer refuses (InvalidSpec, terminal: not rendered again)', async function () {
    this.timeout(60_000);
    await env.client.apply({
      ...iopRef(ns, 'bad-overlay'),
      spec: {
        profile: 'minimal',
        namespace: target,
        components: {
          pilot: {
            k8s: {
              overlays: [
                {
                  kind: 'Deployment',
                  name: 'istiod',
                  patches: [
                    { path: 'spec.template.spec.containers.[name:nosuch].image', value: 'x' },
                  ],
                },
              ],
            },
          },
        },
      },
    });
    await waitFor(
      'status ERROR with reason InvalidSpec',
      async () => stalled(await env.getIop(ns, 'bad-overlay'))?.reason === 'InvalidSpec',
      30_000,
      undefined,
      200,
    );
    const iop = await env.getIop(ns, 'bad-overlay');
    assert.match(iop.status?.message ?? '', /no list element has name=nosuch/);
    const rendered = calls.get(`${ns}/bad-overlay`) ?? 0;
    await new Promise((r) => setTimeout(r, 5000));
    assert.equal(calls.get(`${ns}/bad-overlay`), rendered, 'not rendered again in 5 s');
  });
});
