import assert from 'node:assert/strict';
import { applyPatch, formatPath, OverlayError, parsePath } from '../../../src/render/overlays.js';
import { at, find, render } from './helpers.js';

/** Renders pilot with these k8s settings and one overlay on the istiod Deployment. */
function istiodWith(patches: { path: string; value?: unknown }[], k8s: object = {}) {
  return render({
    components: {
      pilot: { k8s: { ...k8s, overlays: [{ kind: 'Deployment', name: 'istiod', patches }] } },
    },
  });
}

/** Asserts that rendering throws an OverlayError whose message contains every fragment. */
function assertOverlayError(fn: () => unknown, fragments: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof OverlayError, String(err));
    for (const f of fragments) assert.ok(err.message.includes(f), `${err.message}\nlacks: ${f}`);
    return true;
  });
}

describe('render: overlays', () => {
  it('parses the path grammar: keys, [N], [key:value], [value] and escapes', () => {
    assert.deepEqual(parsePath('spec.template.spec.containers.[name:discovery].args.[1]'), [
      { kind: 'key', key: 'spec' },
      { kind: 'key', key: 'template' },
      { kind: 'key', key: 'spec' },
      { kind: 'key', key: 'containers' },
      { kind: 'match', field: 'name', value: 'discovery' },
      { kind: 'key', key: 'args' },
      { kind: 'index', index: 1 },
    ]);
    assert.deepEqual(parsePath('metadata.annotations.a\\.b\\.c'), [
      { kind: 'key', key: 'metadata' },
      { kind: 'key', key: 'annotations' },
      { kind: 'key', key: 'a.b.c' },
    ]);
    assert.deepEqual(parsePath('args.[--x=.*]'), [
      { kind: 'key', key: 'args' },
      { kind: 'value', pattern: '--x=.*' },
    ]);
  });

  it('sets, appends and deletes through list selectors', () => {
    const m = render({
      components: {
        pilot: {
          k8s: {
            overlays: [
              {
                kind: 'Deployment',
                name: 'istiod',
                patches: [
                  {
                    path: 'spec.template.spec.containers.[name:discovery].args.[99]',
                    value: '--extra',
                  },
                  {
                    path: 'spec.template.spec.containers.[name:discovery].ports.[containerPort:8080]',
                  },
                  { path: 'metadata.annotations', value: { patched: 'yes' } },
                  {
                    path: 'spec.template.spec.containers.[name:discovery].args.[--monitoringAddr=.*]',
                    value: '--monitoringAddr=:9999',
                  },
                ],
              },
              {
                kind: 'Service',
                name: 'istiod',
                patches: [{ path: 'spec.type', value: 'NodePort' }],
              },
            ],
          },
        },
      },
    });
    const d = at(find(m, 'Deployment', 'istiod'));
    const c = d.spec.template.spec.containers[0];
    assert.equal(c.args.at(-1), '--extra');
    assert.ok(c.args.includes('--monitoringAddr=:9999'));
    assert.ok(!c.ports.some((p: { containerPort: number }) => p.containerPort === 8080));
    assert.equal(d.metadata.annotations.patched, 'yes');
    assert.equal(at(find(m, 'Service', 'istiod')).spec.type, 'NodePort');
  });

  it('rejects an overlay that matches no object, naming it', () => {
    assert.throws(
      () =>
        render({
          components: {
            pilot: { k8s: { overlays: [{ kind: 'Deployment', name: 'istiodd', patches: [] }] } },
          },
        }),
      (err: unknown) =>
        err instanceof OverlayError &&
        /spec\.components\.pilot\.k8s\.overlays\[0\] \(Deployment\/istiodd\): matches no rendered object/.test(
          err.message,
        ),
    );
  });

  it('rejects a patch whose list selector matches nothing', () => {
    assert.throws(
      () =>
        render({
          components: {
            pilot: {
              k8s: {
                overlays: [
                  {
                    kind: 'Deployment',
                    name: 'istiod',
                    patches: [
                      { path: 'spec.template.spec.containers.[name:nope].image', value: 'x' },
                    ],
                  },
                ],
              },
            },
          },
        }),
      /no list element has name=nope/,
    );
  });

  it('deletes an absent last key as a no-op, with value absent or null (istioctl accepts it too)', () => {
    const plain = find(render({}), 'Deployment', 'istiod');
    for (const patch of [
      { path: 'spec.template.spec.nodeSelector' },
      { path: 'spec.template.spec.nodeSelector', value: null },
    ]) {
      assert.deepEqual(find(istiodWith([patch]), 'Deployment', 'istiod'), plain);
    }
    assert.deepEqual(applyPatch({ a: { b: 1 } }, parsePath('a.c'), undefined, { label: 'x' }), {
      a: { b: 1 },
    });
  });

  it('deletes the target when the value is null, as when it is absent', () => {
    const d = at(
      find(
        istiodWith([{ path: 'spec.template.metadata.annotations', value: null }]),
        'Deployment',
        'istiod',
      ),
    );
    assert.ok(!('annotations' in d.spec.template.metadata), 'annotations deleted, not set to null');
    assert.equal(d.spec.template.metadata.labels.app, 'istiod');
  });

  it('creates missing maps when setting through absent keys, as istioctl does', () => {
    const d = at(
      find(
        istiodWith([
          { path: 'spec.replicas.count', value: 3 },
          { path: 'spec.template.spec.a.b.c', value: 'x' },
        ]),
        'Deployment',
        'istiod',
      ),
    );
    assert.deepEqual(d.spec.replicas, { count: 3 });
    assert.deepEqual(d.spec.template.spec.a, { b: { c: 'x' } });
    assert.deepEqual(applyPatch({ keep: 1 }, parsePath('n.m'), [1], { label: 'x' }), {
      keep: 1,
      n: { m: [1] },
    });
  });

  it('rejects setting or deleting through a number, naming the overlay, the scalar and the fix', () => {
    const where =
      'spec.components.pilot.k8s.overlays[0] (Deployment/istiod).patches[0] path "spec.replicas.count": ';
    for (const patch of [
      { path: 'spec.replicas.count', value: 3 },
      { path: 'spec.replicas.count' },
    ]) {
      assertOverlayError(
        () => istiodWith([patch], { replicaCount: 2 }),
        [
          where +
            '"count" is not inside a map: "spec.replicas" holds a number (2), which has no fields',
          'istioctl 1.27 ignores this patch silently',
          'fix: patch "spec.replicas" itself, or correct the path',
        ],
      );
    }
  });

  it('rejects a key step on a list, suggesting an element selector', () => {
    assertOverlayError(
      () => istiodWith([{ path: 'spec.template.spec.containers.image', value: 'x' }]),
      [
        '"image" is not inside a map: "spec.template.spec.containers" holds a list',
        'fix: select an element first, e.g. "spec.template.spec.containers.[0].image"',
      ],
    );
  });

  it('rejects a list selector under an absent key, saying to create the list first', () => {
    assertOverlayError(
      () => istiodWith([{ path: 'spec.template.spec.newList.[0]', value: 'x' }]),
      [
        'path "spec.template.spec.newList.[0]": a list selector used on something that is not a list',
        '"spec.template.spec.newList" does not exist; fix: create it first',
      ],
    );
  });

  it('formats steps back into a path that parses to the same steps', () => {
    for (const p of [
      'spec.template.spec.containers.[name:discovery].args.[1]',
      'metadata.annotations.a\\.b\\.c',
      'args.[--x=.*]',
      'env.[name:a\\:b].value',
    ]) {
      assert.equal(formatPath(parsePath(p)), p);
    }
  });
});
