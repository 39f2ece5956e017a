import assert from 'node:assert/strict';
import { parseIstioOperatorFile } from '../../../src/api/parse.js';

const head = 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata: {name: x}\n';

describe('parsing an IstioOperator file', () => {
  it('rejects a spec that is a list or a scalar, naming spec', () => {
    for (const spec of ['spec:\n  - profile: demo\n', 'spec: demo\n']) {
      const r = parseIstioOperatorFile('iop.yaml', head + spec);
      assert.equal(r.object, undefined);
      assert.equal(r.diagnostics.length, 1);
      assert.equal(r.diagnostics[0]!.path, 'iop.yaml: spec');
      assert.match(r.diagnostics[0]!.message, /must be a map/);
    }
  });

  it('takes a missing or null spec as empty', () => {
    for (const spec of ['', 'spec:\n']) {
      const r = parseIstioOperatorFile('iop.yaml', head + spec);
      assert.deepEqual(r.diagnostics, []);
      assert.deepEqual(r.object?.spec, {});
    }
  });

  it('takes a null field anywhere in the spec as absent, as istioctl does (values: left empty, a leaf without a value)', () => {
    const spec =
      'spec:\n  values:\n  components:\n    pilot:\n      k8s:\n        env:\n          - name: A\n            value:\n' +
      '  meshConfig:\n    defaultConfig:\n      proxyMetadata:\n        X: null\n';
    const r = parseIstioOperatorFile('iop.yaml', head + spec);
    assert.deepEqual(r.object?.spec, {
      components: { pilot: { k8s: { env: [{ name: 'A' }] } } },
      meshConfig: { defaultConfig: { proxyMetadata: {} } },
    });
    // Where istioctl would erase the profile's value instead, a warning says so.
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.severity} ${d.path}`),
      ['warning iop.yaml: spec.values'],
    );
    assert.match(r.diagnostics[0]!.message, /taken as not set/);
    const leaf = parseIstioOperatorFile(
      'iop.yaml',
      head + 'spec:\n  values:\n    pilot:\n      autoscaleEnabled:\n',
    );
    assert.deepEqual(leaf.object?.spec, { values: { pilot: {} } });
    assert.deepEqual(
      leaf.diagnostics.map((d) => `${d.severity} ${d.path}`),
      ['warning iop.yaml: spec.values.pilot.autoscaleEnabled'],
    );
  });

  it('keeps a null list item, for the schema to name', () => {
    const r = parseIstioOperatorFile(
      'iop.yaml',
      head + 'spec:\n  components:\n    ingressGateways:\n      -\n',
    );
    assert.deepEqual(r.object?.spec, { components: { ingressGateways: [null] } });
  });
});
