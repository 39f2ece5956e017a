import assert from 'node:assert/strict';
import { findDeprecatedValues, translateDeprecatedValues } from '../../../src/api/deprecated.js';
import { deletePath, formatPath } from '../../../src/json/path.js';

describe('1.23-era values', () => {
  it('moves a setting to its new path and removes the emptied maps', () => {
    const spec = { values: { global: { proxy: { accessLogFile: '/dev/stdout' } } } };
    const ws = translateDeprecatedValues(spec);
    assert.deepEqual(spec, { meshConfig: { accessLogFile: '/dev/stdout' } });
    assert.equal(ws.length, 1);
    assert.equal(ws[0]!.severity, 'warning');
    assert.equal(ws[0]!.path, 'spec.values.global.proxy.accessLogFile');
    assert.match(ws[0]!.message, /moved to spec\.meshConfig\.accessLogFile/);
  });

  it('keeps the new path when both are set', () => {
    const spec = {
      meshConfig: { enableTracing: false },
      values: { global: { enableTracing: true, hub: 'x' } },
    };
    translateDeprecatedValues(spec);
    assert.deepEqual(spec, {
      meshConfig: { enableTracing: false },
      values: { global: { hub: 'x' } },
    });
  });

  it('translates global.mtls.auto to meshConfig.enableAutoMtls', () => {
    const spec = { values: { global: { mtls: { auto: false } } } };
    translateDeprecatedValues(spec);
    assert.deepEqual(spec, { meshConfig: { enableAutoMtls: false } });
  });

  it('reports settings without a new home and leaves them in place', () => {
    const spec = { values: { global: { policyCheckFailOpen: true } } };
    assert.deepEqual(translateDeprecatedValues(spec), []);
    const ws = findDeprecatedValues(spec);
    assert.equal(ws.length, 1);
    assert.match(ws[0]!.fix!, /Mixer/);
  });

  it('finds movable settings in a raw resource (the operator path) without moving them', () => {
    const spec = { values: { global: { proxy: { concurrency: 2 } } } };
    const ws = findDeprecatedValues(spec);
    assert.match(ws[0]!.message, /meshConfig\.defaultConfig\.concurrency/);
    assert.deepEqual(spec, { values: { global: { proxy: { concurrency: 2 } } } });
  });
});

describe('paths', () => {
  it('formats paths with indexes and quoted odd keys', () => {
    assert.equal(
      formatPath(['spec', 'components', 'ingressGateways', 0, 'name']),
      'spec.components.ingressGateways[0].name',
    );
    assert.equal(
      formatPath(['spec', 'values', 'gateways', 'istio-ingressgateway']),
      'spec.values.gateways.istio-ingressgateway',
    );
    assert.equal(
      formatPath(['k8s', 'podAnnotations', 'example.com/x']),
      'k8s.podAnnotations["example.com/x"]',
    );
  });

  it('deletes a path and only the maps it emptied', () => {
    const t = { a: { b: { c: 1 }, d: 2 } };
    deletePath(t, ['a', 'b', 'c']);
    assert.deepEqual(t, { a: { d: 2 } });
  });
});
