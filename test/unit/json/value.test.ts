import assert from 'node:assert/strict';
import { getPath } from '../../../src/json/path.js';
import { clone, isJsonObject, isObject } from '../../../src/json/value.js';
import { getPath as getDotted } from '../../../src/json/values.js';

describe('json: values and paths, one implementation for every layer', () => {
  it('tells plain objects from arrays, null and scalars', () => {
    for (const v of [{}, { a: 1 }]) assert.ok(isObject(v) && isJsonObject(v));
    for (const v of [[], null, 'x', 1, true, undefined]) assert.ok(!isObject(v));
  });

  it('copies deeply: changing the copy never shows in the original', () => {
    const a = { x: { y: [1, { z: 2 }] } };
    const b = clone(a);
    ((b.x.y[1] as { z: number }).z as number) = 3;
    assert.equal((a.x.y[1] as { z: number }).z, 2);
  });

  it('reads keys and list indexes; the dotted form reads the same keys', () => {
    const tree = { a: { b: [{ c: 'found' }] }, d: { e: 1 } };
    assert.equal(getPath(tree, ['a', 'b', 0, 'c']), 'found');
    assert.equal(getPath(tree, ['a', 'x', 0]), undefined);
    assert.equal(getDotted(tree, 'd.e'), 1);
    assert.equal(getDotted(tree, 'd.e.f'), undefined);
  });
});
