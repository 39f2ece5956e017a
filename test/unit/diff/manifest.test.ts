import assert from 'node:assert/strict';
import { diffManifests } from '../../../src/diff/manifest.js';
import { parseManifest } from '../../../src/yaml/manifest.js';

describe('diff: two manifests, object by object and field by field', () => {
  const a = parseManifest(
    [
      'apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: n}\nspec: {ports: [{name: a, port: 1}]}',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gone, namespace: n}',
    ].join('\n---\n'),
    'a',
  );
  const b = parseManifest(
    [
      'apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: n}\nspec: {ports: [{name: a, port: 2}]}',
      'apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: ConfigMap, metadata: {name: new, namespace: n}}]',
    ].join('\n---\n'),
    'b',
  );

  it('reports added, removed and changed objects with field paths', () => {
    const d = diffManifests(a, b);
    assert.deepEqual(d.added, ['ConfigMap n/new']);
    assert.deepEqual(d.removed, ['ConfigMap n/gone']);
    assert.deepEqual(d.changed, [
      { key: 'Service n/s', fields: [{ path: 'spec.ports[name=a].port', before: 1, after: 2 }] },
    ]);
  });

  it('rejects a document that is not a Kubernetes object', () => {
    assert.throws(
      () => parseManifest('just: text', 'x.yaml'),
      /x\.yaml: document 1 is not a Kubernetes object/,
    );
  });
});
