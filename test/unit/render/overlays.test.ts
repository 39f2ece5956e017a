import assert from 'node:assert/strict';
import { OverlayError, parsePath } from '../../../src/render/overlays.js';
import { at, find, render } from './helpers.js';

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
});
