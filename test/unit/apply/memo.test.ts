import type { KubernetesObject } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { memoByObject, memoBySpec } from '../../../src/apply/memo.js';

describe('memoized answers about objects', () => {
  it('asks again only for another object', () => {
    let calls = 0;
    const f = memoByObject((o: { n: number }) => (calls++, o.n * 2));
    const a = { n: 1 };
    assert.equal(f(a), 2);
    assert.equal(f(a), 2);
    assert.equal(f({ n: 1 }), 2);
    assert.equal(calls, 2);
  });

  it("asks again when the live object's spec, labels or annotations change, not for its status", () => {
    const calls: string[] = [];
    const f = memoBySpec((d: { n: number }, l: KubernetesObject) => {
      calls.push(l.metadata!.resourceVersion!);
      return d.n;
    });
    const desired = { n: 1 };
    const crd = (rv: string, generation: number | undefined, labels = {}, status = {}) =>
      ({
        metadata: { uid: 'u1', resourceVersion: rv, generation, labels },
        status,
      }) as KubernetesObject;
    f(desired, crd('1', 1));
    f(desired, crd('2', 1, {}, { conditions: [{ type: 'Established', status: 'True' }] }));
    f(desired, crd('3', 2));
    f(desired, crd('4', 2, { a: 'b' }));
    f(desired, crd('5', 2, { a: 'b' }));
    assert.deepEqual(calls, ['1', '3', '4']);
    // Without a generation (ConfigMaps, ServiceAccounts) every version asks again.
    f(desired, crd('6', undefined));
    f(desired, crd('7', undefined));
    f(desired, crd('7', undefined));
    assert.deepEqual(calls, ['1', '3', '4', '6', '7']);
    // Another desired object asks on its own.
    f({ n: 2 }, crd('7', undefined));
    assert.equal(calls.length, 6);
  });
});
