import { ApiException, type KubernetesObject } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { reconcileFrame, type ReconcileSteps } from '../../../src/runtime/reconcile-frame.js';

const FIN = 'example.com/finalizer';
const status = (code: number, reason: string) =>
  new ApiException(code, reason, JSON.stringify({ kind: 'Status', reason, message: reason }), {});

/** Steps that record what the frame called, over one object (or none). */
function steps(obj: KubernetesObject | undefined, reconcile?: () => Promise<never>) {
  const calls: string[] = [];
  let current = obj;
  const s: ReconcileSteps<KubernetesObject> = {
    finalizer: FIN,
    get: () => current,
    isIgnored: (o) => o.metadata?.annotations?.ignore === 'true',
    ignored: async () => void calls.push('ignored'),
    addFinalizer: async () => void calls.push('addFinalizer'),
    finalize: async () => (calls.push('finalize'), { result: 'done' }),
    reconcile: async () => {
      calls.push('reconcile');
      if (reconcile) return await reconcile();
      return { result: 'requeueAfter', ms: 5 };
    },
  };
  return { s, calls, gone: () => (current = undefined) };
}

const obj = (meta: Record<string, unknown> = {}): KubernetesObject => ({
  apiVersion: 'v1',
  kind: 'Thing',
  metadata: { name: 'a', namespace: 'ns', finalizers: [FIN], ...meta },
});

describe('controller: the reconcile frame', () => {
  it('is done for an object the cache no longer has', async () => {
    const { s, calls } = steps(undefined);
    assert.deepEqual(await reconcileFrame('ns/a', s, 'id'), { result: 'done' });
    assert.deepEqual(calls, []);
  });

  it('finalizes a deleted object, reports an ignored one, adds a missing finalizer first', async () => {
    const deleting = steps(obj({ deletionTimestamp: new Date() }));
    await reconcileFrame('ns/a', deleting.s, 'id');
    assert.deepEqual(deleting.calls, ['finalize']);
    const ignored = steps(obj({ annotations: { ignore: 'true' } }));
    assert.deepEqual(await reconcileFrame('ns/a', ignored.s, 'id'), { result: 'done' });
    assert.deepEqual(ignored.calls, ['ignored']);
    const fresh = steps(obj({ finalizers: [] }));
    assert.deepEqual(await reconcileFrame('ns/a', fresh.s, 'id'), { result: 'done' });
    assert.deepEqual(fresh.calls, ['addFinalizer']);
  });

  it('hands a guarded object to reconcile and returns its result', async () => {
    const { s, calls } = steps(obj());
    assert.deepEqual(await reconcileFrame('ns/a', s, 'id'), { result: 'requeueAfter', ms: 5 });
    assert.deepEqual(calls, ['reconcile']);
  });

  it("turns the API server's errors into results: a lost race, an object gone, anything else", async () => {
    const conflict = steps(obj(), () => Promise.reject(status(409, 'Conflict')));
    assert.deepEqual(await reconcileFrame('ns/a', conflict.s, 'id'), { result: 'conflict' });

    const t = steps(obj(), () => {
      t.gone();
      return Promise.reject(status(404, 'NotFound'));
    });
    assert.deepEqual(await reconcileFrame('ns/a', t.s, 'id'), { result: 'done' });

    const other = steps(obj(), () => Promise.reject(status(500, 'InternalError')));
    const r = await reconcileFrame('ns/a', other.s, 'id');
    assert.equal(r.result, 'error');
  });
});
