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
});
