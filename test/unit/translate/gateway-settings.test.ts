import assert from 'node:assert/strict';
import { gatewaySettings } from '../../../src/translate/components/gateway.js';
import { releaseOfMinor } from '../../../src/releases/catalog.js';

const R130 = releaseOfMinor('1.30')!;

describe('translate: gateway settings, resolved once for the renderer', () => {
  it('takes defaults: ClusterIP, no ports, no volumes, rolling 100%/25%, no template', () => {
    const s = gatewaySettings({}, {}, R130);
    assert.equal(s.serviceType, 'ClusterIP');
    assert.deepEqual(s.ports, []);
    assert.deepEqual(s.secretVolumes, []);
    assert.equal(s.maxSurge, '100%');
    assert.equal(s.maxUnavailable, '25%');
    assert.equal(s.injectionTemplate, '');
    assert.equal(s.runAsRoot, false);
    assert.equal(s.openshift, false);
    assert.deepEqual(s.scaling, { pdb: false });
  });

  it('honours the values: labels and annotations as strings, sorted env, the network in env, platform, priority', () => {
    const s = gatewaySettings(
      {
        labels: { app: 'gw', n: 1 },
        podAnnotations: { a: true },
        env: { Z: 'z', ISTIO_META_NETWORK: 'n1', A: 2 },
        ports: [{ port: 80 }, 'not a port'],
        secretVolumes: [{ name: 'v', secretName: 's', mountPath: '/m' }],
        runAsRoot: true,
        type: 'LoadBalancer',
      },
      { global: { platform: 'openshift', priorityClassName: 'mesh' } },
      R130,
    );
    assert.deepEqual(s.labels, { app: 'gw', n: '1' });
    assert.deepEqual(s.podAnnotations, { a: 'true' });
    assert.deepEqual(
      s.env.map((e) => e.name),
      ['A', 'ISTIO_META_NETWORK', 'Z'],
    );
    assert.equal(s.envSetsNetwork, true);
    assert.deepEqual(s.ports, [{ port: 80 }]);
    assert.deepEqual(s.secretVolumes, [{ name: 'v', secretName: 's', mountPath: '/m' }]);
    assert.equal(s.runAsRoot, true);
    assert.equal(s.openshift, true);
    assert.equal(s.priorityClassName, 'mesh');
    assert.equal(s.serviceType, 'LoadBalancer');
  });
});
