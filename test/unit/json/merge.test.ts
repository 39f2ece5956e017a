import assert from 'node:assert/strict';
import { mergeJson as mergeTree } from '../../../src/json/merge.js';
import { mergeLayers } from '../../../src/profiles/merge.js';

describe('json: merging layers and values (maps merge, lists and scalars replace)', () => {
  it('merges maps recursively', () => {
    assert.deepEqual(mergeTree({ a: { b: 1, c: 2 } }, { a: { c: 3, d: 4 } }), {
      a: { b: 1, c: 3, d: 4 },
    });
  });

  it('replaces lists instead of merging them (Istio 1.24+)', () => {
    const profile = {
      components: {
        ingressGateways: [
          { name: 'istio-ingressgateway', enabled: true, k8s: { replicaCount: 2 } },
        ],
      },
    };
    const user = { components: { ingressGateways: [{ name: 'internal', enabled: true }] } };
    assert.deepEqual(mergeTree(profile, user), {
      components: { ingressGateways: [{ name: 'internal', enabled: true }] },
    });
  });

  it('replaces a map with a scalar and a scalar with a map', () => {
    assert.deepEqual(mergeTree({ a: { b: 1 } }, { a: 'x' }), { a: 'x' });
    assert.deepEqual(mergeTree({ a: 'x' }, { a: { b: 1 } }), { a: { b: 1 } });
  });

  it('lets null in the overlay replace a value', () => {
    assert.deepEqual(mergeTree({ a: { b: 1 } }, { a: null }), { a: null });
  });

  it('keeps empty strings and false from the overlay', () => {
    assert.deepEqual(mergeTree({ a: 'x', b: true }, { a: '', b: false }), { a: '', b: false });
  });

  it('modifies neither input', () => {
    const base: Record<string, unknown> = { a: { b: [1, 2] } };
    const overlay = { a: { c: { d: 1 } } };
    const out = mergeTree(base, overlay) as { a: { b: number[]; c: { d: number } } };
    out.a.c.d = 2;
    out.a.b.push(3);
    assert.deepEqual(base, { a: { b: [1, 2] } });
    assert.deepEqual(overlay, { a: { c: { d: 1 } } });
  });

  it('applies layers lowest precedence first', () => {
    assert.deepEqual(mergeLayers([{ a: 1, b: 1 }, { b: 2, c: 2 }, { c: 3 }]), { a: 1, b: 2, c: 3 });
  });
});
