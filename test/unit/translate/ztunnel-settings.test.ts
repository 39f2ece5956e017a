import assert from 'node:assert/strict';
import { ztunnelSettings } from '../../../src/translate/components/ztunnel.js';
import { translate } from '../../../src/translate/plan.js';
import { merged } from './merged.js';
import { releaseOfMinor } from '../../../src/releases/catalog.js';

const R127 = releaseOfMinor('1.27')!;

describe('translate: ztunnel settings, resolved once for the renderer', () => {
  it('follows the release: the CPU divisor from 1.29, peerCaCrl from 1.29, DNS settings from 1.30', () => {
    const values = {
      ztunnel: {
        peerCaCrl: { enabled: true },
        dnsPolicy: 'ClusterFirst',
        dnsConfig: { options: [] },
      },
    };
    const at = (m: string) => ztunnelSettings(values, 'x', releaseOfMinor(m)!);
    assert.equal(at('1.28').cpuLimitDivisor, undefined);
    assert.equal(at('1.28').peerCaCrl, false);
    assert.equal(at('1.29').cpuLimitDivisor, '1');
    assert.equal(at('1.29').peerCaCrl, true);
    assert.equal(at('1.29').dnsPolicy, '');
    assert.equal(at('1.30').dnsPolicy, 'ClusterFirst');
    assert.deepEqual(at('1.30').dnsConfig, { options: [] });
  });

  it('takes defaults: the revision istiod as CA and xDS, info logs, 30 s grace, no extras', () => {
    const s = ztunnelSettings({}, 'istiod-canary.istio-system.svc:15012', R127);
    assert.equal(s.caAddress, 'istiod-canary.istio-system.svc:15012');
    assert.equal(s.xdsAddress, s.caAddress);
    assert.equal(s.logLevel, 'info');
    assert.equal(s.terminationGracePeriodSeconds, 30);
    assert.deepEqual(s.env, []);
    assert.equal(s.openshift, false);
    assert.equal(s.resourceName, 'ztunnel');
  });

  it('honours the values: own CA and xDS, sorted env, platform, trust bundle, pull secrets', () => {
    const s = ztunnelSettings(
      {
        global: {
          caAddress: 'ca:15012',
          platform: 'openshift',
          trustBundleName: 'bundle',
          imagePullSecrets: ['regcred'],
          multiCluster: { clusterName: 'c1' },
        },
        ztunnel: { xdsAddress: 'xds:15012', env: { B: 2, A: 'x' }, logLevel: 'debug' },
      },
      'unused',
      R127,
    );
    assert.equal(s.caAddress, 'ca:15012');
    assert.equal(s.xdsAddress, 'xds:15012');
    assert.deepEqual(s.env, [
      { name: 'A', value: 'x' },
      { name: 'B', value: '2' },
    ]);
    assert.equal(s.openshift, true);
    assert.equal(s.trustBundleName, 'bundle');
    assert.deepEqual(s.pullSecrets, [{ name: 'regcred' }]);
    assert.equal(s.clusterName, 'c1');
    assert.equal(s.logLevel, 'debug');
  });

  it('is part of the plan when ztunnel is on', () => {
    const plan = translate(
      merged({
        metadata: { name: 'x', namespace: 'istio-system' },
        spec: { revision: 'r1', components: { ztunnel: { enabled: true } } },
      }),
    );
    assert.equal(plan.ztunnel?.settings.caAddress, 'istiod-r1.istio-system.svc:15012');
  });
});
