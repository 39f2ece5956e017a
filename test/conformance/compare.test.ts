import assert from 'node:assert/strict';
import type { K8sObject } from '../../src/render/object.js';
import { compareObjects } from './compare.js';

/** The comparison the conformance suites rely on: what counts as equal and what does not. */
describe('conformance: the whole-object comparison itself', () => {
  const svc = (spec: object, extra: object = {}): K8sObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's', namespace: 'n' },
    spec: spec as never,
    ...extra,
  });
  const paths = (a: K8sObject[], b: K8sObject[]) =>
    compareObjects('gateway-templates', a, b).unexplained.map((d) => d.path);

  it('treats server defaults and empty values as absent', () => {
    const a = svc({ ports: [{ name: 'http', port: 80 }], selector: {} }, { data: null });
    const b = svc({
      type: 'ClusterIP',
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 80 }],
    });
    const r = compareObjects('gateway-templates', [a], [b]);
    assert.deepEqual(r.unexplained, []);
    assert.equal(r.equal, r.fields);
  });

  it('reports a changed leaf, a missing list item and a missing object', () => {
    const a = svc({
      ports: [
        { name: 'http', port: 80 },
        { name: 'https', port: 443 },
      ],
    });
    const b = svc({ ports: [{ name: 'http', port: 8080 }] });
    const other: K8sObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    assert.deepEqual(paths([a, other], [b]), [
      '(object)',
      'spec.ports[name=http].port',
      'spec.ports[name=http].targetPort',
      'spec.ports[name=https]',
    ]);
  });

  it('compares the order of named items as one more field', () => {
    const a = svc({
      ports: [
        { name: 'a', port: 1 },
        { name: 'b', port: 2 },
      ],
    });
    const b = svc({
      ports: [
        { name: 'b', port: 2 },
        { name: 'a', port: 1 },
      ],
    });
    assert.deepEqual(paths([a], [b]), ['spec.ports(order)']);
  });

  it('aligns unkeyed lists on equal items: one inserted rule is one difference', () => {
    const role = (rules: object[]): K8sObject => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'r' },
      rules: rules as never,
    });
    const r1 = { apiGroups: [''], resources: ['pods'], verbs: ['get'] };
    const r2 = { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list'] };
    const extra = { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['get'] };
    assert.deepEqual(paths([role([r1, r2])], [role([r1, extra, r2])]), ['rules[1]']);
    const changed = { ...r2, verbs: ['list', 'watch'] };
    assert.deepEqual(paths([role([r1, r2])], [role([r1, changed])]), ['rules[1].verbs[1]']);
  });

  it('compares embedded documents parsed: JSON in strings, YAML in ConfigMap data', () => {
    const cm = (mesh: string, cfg: string): K8sObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio', namespace: 'n' },
      data: { mesh, config: cfg },
    });
    assert.deepEqual(
      paths(
        [cm('a: 1\nb: {c: 2}\n', '{"x": [1, 2]}')],
        [cm('b:\n  c: 2\na: 1', '{ "x":[1,2] }\n')],
      ),
      [],
    );
    assert.deepEqual(paths([cm('a: 1', '{}')], [cm('a: 2', '{}')]), ['data.mesh.a']);
  });
});
