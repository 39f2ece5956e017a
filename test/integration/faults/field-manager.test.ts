import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { waitFor } from '../../../src/cluster/health.js';
import type { OperatorManager } from '../../../src/controller/manager.js';
import { FIELD_MANAGER, objectPath, type ObjectRef } from '../../../src/kube/client.js';
import { kubeRequest } from '../../../src/kube/request.js';
import { deploymentRef, iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';

/** The other field managers of this test: a GitOps tool's server-side apply, and a human's edit. */
const INTRUDER = 'someone-elses-gitops';
const EDITOR = 'kubectl-edit';
/** How long to watch for further writes after a restore. */
const QUIET_MS = 5000;
/** Resync period of this test's operator, so several resyncs fit in a test. */
const RESYNC_MS = 1500;

describe('faults: another field manager changes objects the operator owns', function () {
  let env: OperatorEnv;
  let manager: OperatorManager;
  let ns: string;
  /** Every write the operator's client sends, as `verb Kind namespace/name`. */
  const writes: string[] = [];

  const describe_ = (o: k8s.KubernetesObject) =>
    `${o.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
  const writesTo = (ref: ObjectRef) => writes.filter((w) => w.endsWith(` ${describe_(ref)}`));
  const istiod = () => deploymentRef(ns, 'istiod');
  const meshConfigMap = (): ObjectRef => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'istio', namespace: ns },
  });
  const image = async () =>
    ((await env.client.get(istiod())) as k8s.V1Deployment).spec!.template.spec!.containers.find(
      (c) => c.name === 'discovery',
    )!.image!;
  const idle = async () => {
    await waitFor('operator idle', async () => manager.isIdle(), 30_000, undefined, 50);
  };
  const healthy = () =>
    waitFor(
      'cp HEALTHY',
      async () => {
        const iop = await env.getIop(ns, 'cp');
        return (
          iop.status?.status === 'HEALTHY' &&
          iop.status.observedGeneration === iop.metadata.generation
        );
      },
      60_000,
      undefined,
      200,
    );
  /** Server-side apply as another field manager, taking the fields over (as `kubectl apply --server-side --force-conflicts`). */
  const applyAs = (manager_: string, obj: k8s.KubernetesObject) =>
    kubeRequest(
      env.kc,
      'PATCH',
      `${objectPath(obj as ObjectRef)}?fieldManager=${manager_}&force=true`,
      obj,
      'application/apply-patch+yaml',
    );
  /** Waits until the operator has been quiet for QUIET_MS, returning the writes to `ref` meanwhile. */
  const writesOverQuietPeriod = async (ref: ObjectRef) => {
    const before = writesTo(ref).length;
    await new Promise((r) => setTimeout(r, QUIET_MS));
    await idle();
    return writesTo(ref).length - before;
  };

  before(async function () {
    this.timeout(30 * 60_000);
    env = await operatorEnv();
    ns = await env.namespace('field-manager');
    manager = await env.startOperator([ns], { resyncMs: RESYNC_MS });
    // A spy on the operator's real client: every write goes through, and is recorded.
    const client = manager.client as unknown as Record<string, unknown>;
    for (const [method, verb] of [
      ['apply', 'apply'],
      ['mergePatch', 'patch'],
      ['replace', 'update'],
      ['replaceStatus', 'update-status'],
      ['create', 'create'],
      ['delete', 'delete'],
    ] as const) {
      const real = (client[method] as (...a: unknown[]) => Promise<unknown>).bind(manager.client);
      client[method] = (obj: k8s.KubernetesObject, ...rest: unknown[]) => {
        writes.push(`${verb} ${describe_(obj)}`);
        return real(obj, ...rest);
      };
    }
    await env.client.apply({ ...iopRef(ns, 'cp'), spec: { profile: 'minimal', namespace: ns } });
    await healthy();
    await idle();
  });

  after(async () => {
    await manager?.stop();
  });

  it('restores the istiod image taken over by another server-side apply manager once, then stays quiet', async function () {
    this.timeout(60_000);
    const ours = await image();
    const before = writesTo(istiod()).length;
    await applyAs(INTRUDER, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'istiod', namespace: ns },
      spec: {
        template: {
          spec: { containers: [{ name: 'discovery', image: 'example.invalid/pilot:evil' }] },
        },
      },
    } as k8s.KubernetesObject);
    await waitFor('image restored', async () => (await image()) === ours, 15_000, undefined, 50);
    await idle();
    const restores = writesTo(istiod()).length - before;
    const later = await writesOverQuietPeriod(istiod());
    process.stderr.write(
      `      [field manager] server-side apply: ${restores} restore(s), ${later} write(s) in the next ${QUIET_MS / 1000} s\n`,
    );
    assert.equal(restores, 1, writesTo(istiod()).join('\n'));
    assert.equal(later, 0);
    assert.equal(await image(), ours);
    // The operator owns the field again.
    const dep = (await env.client.get(istiod())) as k8s.V1Deployment;
    const mine = dep.metadata!.managedFields!.find(
      (f) => f.manager === FIELD_MANAGER && f.operation === 'Apply',
    );
    assert.match(
      JSON.stringify(mine?.fieldsV1),
      /"k:\{\\"name\\":\\"discovery\\"\}":\{.*"f:image"/,
    );
  });

  it('restores a ConfigMap key changed by a plain update once, then stays quiet', async function () {
    this.timeout(60_000);
    const ref = meshConfigMap();
    const cm = (await env.client.get(ref)) as k8s.V1ConfigMap;
    const ours = cm.data!.mesh!;
    const before = writesTo(ref).length;
    await kubeRequest(env.kc, 'PUT', `${objectPath(ref)}?fieldManager=${EDITOR}`, {
      ...cm,
      data: { ...cm.data, mesh: 'accessLogFile: /dev/stdout\n' },
    });
    await waitFor(
      'mesh restored',
      async () => ((await env.client.get(ref)) as k8s.V1ConfigMap).data?.mesh === ours,
      15_000,
      undefined,
      50,
    );
    await idle();
    const restores = writesTo(ref).length - before;
    const later = await writesOverQuietPeriod(ref);
    process.stderr.write(
      `      [field manager] plain update: ${restores} restore(s), ${later} write(s) in the next ${QUIET_MS / 1000} s\n`,
    );
    assert.equal(restores, 1, writesTo(ref).join('\n'));
    assert.equal(later, 0);
  });

  it("keeps a user's annotation and label across reconciles that write, and across resyncs", async function () {
    this.timeout(90_000);
    const mark = { 'example.com/note': 'added by a user' };
    const label = { 'example.com/team': 'mesh' };
    // One by server-side apply, one by a merge patch (as `kubectl annotate` / `kubectl label`).
    await applyAs(EDITOR, {
      ...meshConfigMap(),
      metadata: { ...meshConfigMap().metadata, annotations: mark, labels: label },
    });
    await kubeRequest(
      env.kc,
      'PATCH',
      `${objectPath(istiod())}?fieldManager=kubectl-annotate`,
      { metadata: { annotations: mark, labels: label } },
      'application/merge-patch+json',
    );
    const kept = async (ref: ObjectRef) => {
      const o = await env.client.get(ref);
      return (
        o.metadata?.annotations?.['example.com/note'] === mark['example.com/note'] &&
        o.metadata?.labels?.['example.com/team'] === label['example.com/team']
      );
    };
    // A reconcile that writes both objects: a new mesh setting and a new env variable.
    const writesBefore = writes.length;
    await env.client.apply({
      ...iopRef(ns, 'cp'),
      spec: {
        profile: 'minimal',
        namespace: ns,
        meshConfig: { accessLogFile: '/dev/stdout' },
        components: { pilot: { k8s: { env: [{ name: 'USER_FIELDS_TEST', value: '1' }] } } },
      },
    });
    await waitFor(
      'new spec applied',
      async () => {
        const cm = (await env.client.get(meshConfigMap())) as k8s.V1ConfigMap;
        const d = (await env.client.get(istiod())) as k8s.V1Deployment;
        return (
          /accessLogFile: \/dev\/stdout/.test(cm.data?.mesh ?? '') &&
          !!d.spec?.template.spec?.containers[0]?.env?.some((e) => e.name === 'USER_FIELDS_TEST')
        );
      },
      30_000,
      undefined,
      100,
    );
    await healthy();
    await idle();
    assert.ok(writesTo(istiod()).length > 0 && writesTo(meshConfigMap()).length > 0);
    for (const ref of [istiod(), meshConfigMap()]) assert.ok(await kept(ref), describe_(ref));
    assert.ok(writes.length > writesBefore);

    // Resyncs: every RESYNC_MS the IstioOperator is reconciled again, writing nothing.
    const done = manager.counts.done;
    const quietFrom = writes.length;
    await waitFor(
      'three resyncs',
      async () => manager.counts.done >= done + 3,
      RESYNC_MS * 10,
      undefined,
      100,
    );
    await idle();
    assert.deepEqual(writes.slice(quietFrom), [], 'writes across resyncs');
    for (const ref of [istiod(), meshConfigMap()]) assert.ok(await kept(ref), describe_(ref));
  });
});
