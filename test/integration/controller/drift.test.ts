import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { waitFor } from '../../../src/cluster/health.js';
import type { OperatorManager } from '../../../src/controller/manager.js';
import { objectPath, type JsonPatchOp, type ObjectRef } from '../../../src/kube/client.js';
import { kubeRequest } from '../../../src/kube/request.js';
import { iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';

const note = (line: string) => process.stderr.write(`      [drift] ${line}\n`);

describe('drift: hand-made changes to a Service and a ConfigMap are repaired', function () {
  let env: OperatorEnv;
  let manager: OperatorManager;
  let ns: string;
  const NAME = 'cp';

  const service = (): ObjectRef => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'istiod', namespace: ns },
  });
  const ports = async () =>
    ((await env.client.get(service())) as k8s.V1Service).spec!.ports!.map(
      (p) => `${p.name}:${p.port}->${String(p.targetPort)}`,
    );
  /** A JSON patch as `kubectl patch --type json` sends it: its own field manager. */
  const kubectlPatch = (ref: ObjectRef, ops: JsonPatchOp[]) =>
    kubeRequest(
      env.kc,
      'PATCH',
      `${objectPath(ref)}?fieldManager=kubectl-patch`,
      ops,
      'application/json-patch+json',
    );
  /** Waits for `done`, returning how long it took from `since`. */
  const repaired = async (what: string, since: number, done: () => Promise<boolean>) => {
    await waitFor(what, done, 15_000, undefined, 50);
    return Date.now() - since;
  };
  const healthy = () =>
    waitFor(
      `${NAME} HEALTHY`,
      async () => (await env.getIop(ns, NAME)).status?.status === 'HEALTHY',
      30_000,
      undefined,
      100,
    );

  before(async function () {
    this.timeout(30 * 60_000);
    env = await operatorEnv();
    ns = await env.namespace('drift');
    manager = await env.startOperator([ns]);
    await env.client.apply({ ...iopRef(ns, NAME), spec: { profile: 'minimal', namespace: ns } });
    await healthy();
  });

  after(async function () {
    this.timeout(120_000);
    await env.client.delete(iopRef(ns, NAME)).catch(() => undefined);
    await env.uninstalled(ns, NAME).catch(() => undefined);
    await manager?.stop();
    await env.client
      .delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
      .catch(() => undefined);
  });

  for (const [index, from, to] of [
    [0, 15010, 15999],
    [1, 15012, 15013],
  ] as const) {
    it(`repairs a Service port changed by hand from ${from} to ${to} (it used to fail every apply with a duplicate port name)`, async () => {
      const desired = await ports();
      assert.ok(desired[index]!.includes(`:${from}->`), `port ${index} is ${from}: ${desired}`);
      const t0 = Date.now();
      await kubectlPatch(service(), [
        { op: 'replace', path: `/spec/ports/${index}/port`, value: to },
      ]);
      const ms = await repaired(`port ${from} back`, t0, async () => {
        const now = await ports();
        return now.length === desired.length && now.every((p, i) => p === desired[i]);
      });
      note(`port ${from} changed to ${to}: repaired in ${ms} ms`);
      await healthy();
      const iop = await env.getIop(ns, NAME);
      assert.equal(iop.status?.componentStatus?.Pilot?.status, 'HEALTHY');
    });
  }

  it("keeps a port a user added while repairing a moved one (never deletes another's data)", async () => {
    const desired = await ports();
    await kubectlPatch(service(), [
      {
        op: 'add',
        path: '/spec/ports/-',
        value: { name: 'http-extra', port: 8080, targetPort: 8080, protocol: 'TCP' },
      },
      { op: 'replace', path: '/spec/ports/0/port', value: 15999 },
    ]);
    await repaired('moved port repaired', Date.now(), async () => {
      const now = await ports();
      return now.length === desired.length + 1 && desired.every((p, i) => now[i] === p);
    });
    assert.deepEqual(await ports(), [...desired, 'http-extra:8080->8080']);
    await healthy();
    // Leave the Service as the operator wants it for the next tests.
    await kubectlPatch(service(), [
      { op: 'test', path: `/spec/ports/${desired.length}/name`, value: 'http-extra' },
      { op: 'remove', path: `/spec/ports/${desired.length}` },
    ]);
  });

  it('still repairs a changed targetPort and ConfigMap data within 2 s', async () => {
    const desired = await ports();
    const webhook = desired.findIndex((p) => p.startsWith('https-webhook:'));
    let t0 = Date.now();
    await kubectlPatch(service(), [
      { op: 'replace', path: `/spec/ports/${webhook}/targetPort`, value: 9999 },
    ]);
    const targetPortMs = await repaired('targetPort back', t0, async () => {
      const now = await ports();
      return now[webhook] === desired[webhook];
    });
    const cm: ObjectRef = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio', namespace: ns },
    };
    const mesh = ((await env.client.get(cm)) as k8s.V1ConfigMap).data!.mesh!;
    t0 = Date.now();
    await kubectlPatch(cm, [{ op: 'replace', path: '/data/mesh', value: 'hand: edited\n' }]);
    const configMapMs = await repaired('mesh config back', t0, async () => {
      return ((await env.client.get(cm)) as k8s.V1ConfigMap).data?.mesh === mesh;
    });
    note(`targetPort repaired in ${targetPortMs} ms, ConfigMap data in ${configMapMs} ms`);
    assert.ok(targetPortMs < 2000, `targetPort repaired in ${targetPortMs} ms`);
    assert.ok(configMapMs < 2000, `ConfigMap repaired in ${configMapMs} ms`);
  });
});
