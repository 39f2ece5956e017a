import assert from 'node:assert/strict';
import { proxySettings } from '../../../src/translate/components/proxy.js';

describe('translate: mesh-wide proxy settings, resolved once', () => {
  it('defaults to the revision istiod, cluster.local and the chart log levels', () => {
    const p = proxySettings({}, 'istiod.istio-system.svc:15012');
    assert.equal(p.caAddress, 'istiod.istio-system.svc:15012');
    assert.equal(p.trustDomain, 'cluster.local');
    assert.equal(p.meshId, 'cluster.local', 'the mesh ID falls back to the trust domain');
    assert.equal(p.logLevel, 'warning');
    assert.equal(p.agentLogLevel, 'default:info');
    assert.equal(p.tokenAudience, 'istio-ca');
    assert.equal(p.network, '');
  });

  it('lets meshConfig.trustDomain win over global.trustDomain and sorts proxy metadata', () => {
    const p = proxySettings(
      {
        meshConfig: {
          trustDomain: 'example.org',
          defaultConfig: { proxyMetadata: { B: '2', A: 1 } },
        },
        global: { trustDomain: 'other', caAddress: 'ca:1', network: 'n1', logAsJson: true },
      },
      'unused',
    );
    assert.equal(p.trustDomain, 'example.org');
    assert.equal(p.caAddress, 'ca:1');
    assert.equal(p.network, 'n1');
    assert.equal(p.logAsJson, true);
    assert.deepEqual(p.proxyMetadata, [
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
  });
});
