import assert from 'node:assert/strict';
import { memoByObject, memoByPair } from '../../../src/apply/memo.js';

describe('memoized answers about objects', () => {
  it('asks again only for another object', () => {
    let calls = 0;
    const f = memoByObject((o: { n: number }) => (calls++, o.n * 2));
    const a = { n: 1 };
    assert.equal(f(a), 2);
    assert.equal(f(a), 2);
    assert.equal(f({ n: 1 }), 2);
    assert.equal(calls, 2);
    const g = memoByPair((x: { n: number }, y: { n: number }) => (calls++, x.n + y.n));
    const b = { n: 2 };
    assert.equal(g(a, b), 3);
    assert.equal(g(a, b), 3);
    assert.equal(g(a, { n: 2 }), 3);
    assert.equal(g(b, a), 3);
    assert.equal(calls, 5);
  });
});
