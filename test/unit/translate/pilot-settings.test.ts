import assert from 'node:assert/strict';
import { pilotSettings as resolvePilot } from '../../../src/translate/components/pilot.js';
import { baseSettings, webhookSettings } from '../../../src/translate/components/webhooks.js';
import { injectorSettings, meshSettings } from '../../../src/translate/components/mesh.js';
import { scalingSettings } from '../../../src/translate/components/scaling.js';
import { releaseOfMinor } from '../../../src/releases/catalog.js';

const at = (m: string) => releaseOfMinor(m)!;
/** istiod's settings for the default revision, running in the istio namespace. */
const pilotSettings = (
  values: Parameters<typeof resolvePilot>[0],
  release: Parameters<typeof resolvePilot>[1],
  ns: string,
) => resolvePilot(values, release, ns, { namespace: ns, revision: '', injectorCni: {} });

describe('translate: istiod settings, resolved once for the renderer', () => {
  it('takes the defaults of an empty values tree', () => {
    const s = pilotSettings({}, at('1.27'), 'istio-system');
    assert.equal(s.remote, false);
    assert.equal(s.meshConfigMap, true);
    assert.equal(s.injectorConfigMap, true);
    assert.equal(webhookSettings({}).operatorManaged, false, 'the injector webhooks are rendered');
    assert.equal(s.validationWebhook, false);
    assert.equal(s.logLevel, 'default:info');
    assert.equal(s.clusterDomain, 'cluster.local');
    assert.equal(s.keepaliveMaxServerConnectionAge, '30m');
    assert.equal(s.tokenAudience, 'istio-ca');
    assert.equal(s.maxSurge, '100%');
    assert.equal(s.maxUnavailable, '25%');
    assert.equal(s.replicas, 1);
    assert.deepEqual(s.tolerations, []);
    assert.equal(s.env.trustedNodeAccounts, 'istio-system/ztunnel');
    assert.equal(s.env.traceSampling, '1');
    assert.equal(s.env.clusterId, 'Kubernetes');
    assert.equal(s.env.goMemLimit, true);
    assert.deepEqual(s.scaling, { pdb: false });
  });

  it('a remote istiod gets no validation webhook and no stable policy, whatever the values say', () => {
    const s = pilotSettings(
      {
        istiodRemote: { enabled: true },
        global: { configValidation: true },
        experimental: { stableValidationPolicy: true },
      },
      at('1.30'),
      'istio-system',
    );
    assert.equal(s.remote, true);
    assert.equal(s.validationWebhook, false);
    assert.equal(s.stableValidationPolicy, false);
  });

  it("the user's env: sorted, objects kept as valueFrom, and PILOT_TRACE_SAMPLING wins over traceSampling", () => {
    const s = pilotSettings(
      {
        pilot: {
          traceSampling: 3,
          env: {
            Z: 1,
            PILOT_TRACE_SAMPLING: '7',
            A: { valueFrom: { fieldRef: { fieldPath: 'x' } } },
          },
        },
      },
      at('1.27'),
      'istio-system',
    );
    assert.deepEqual(s.env.user, [
      { name: 'A', valueFrom: { fieldRef: { fieldPath: 'x' } } },
      { name: 'PILOT_TRACE_SAMPLING', value: '7' },
      { name: 'Z', value: '1' },
    ]);
    assert.equal(s.env.traceSampling, undefined);
  });

  it('follows the release: GOMEMLIMIT until 1.29, the CRL ConfigMap from 1.29, untaint env from 1.30', () => {
    const values = { pilot: { crlConfigMapName: 'crl', taint: { enabled: true, name: 't' } } };
    const env = (m: string) => pilotSettings(values, at(m), 'istio-system').env;
    assert.equal(env('1.28').goMemLimit, true);
    assert.equal(env('1.28').crlConfigMap, undefined);
    assert.equal(env('1.29').goMemLimit, false);
    assert.equal(env('1.29').crlConfigMap, 'crl');
    assert.equal(env('1.29').untaintName, undefined);
    assert.equal(env('1.30').untaintName, 't');
  });

  it('no replicas while the HPA owns them', () => {
    const s = pilotSettings({ pilot: { autoscaleEnabled: true } }, at('1.27'), 'ns');
    assert.equal(s.replicas, undefined);
  });
});

describe('translate: scaling settings (istiod and gateways)', () => {
  const pdbOn = { global: { defaultPodDisruptionBudget: { enabled: true } } };

  it('an HPA only with autoscaleEnabled, autoscaleMin and autoscaleMax; metrics without zeros', () => {
    assert.equal(
      scalingSettings({ autoscaleEnabled: true, autoscaleMin: 1 }, {}, at('1.27')).hpa,
      undefined,
    );
    const s = scalingSettings(
      {
        autoscaleEnabled: true,
        autoscaleMin: 2,
        autoscaleMax: 4,
        cpu: { targetAverageUtilization: 0 },
        memory: { targetAverageUtilization: 70 },
      },
      {},
      at('1.27'),
    );
    assert.deepEqual(s.hpa, {
      minReplicas: 2,
      maxReplicas: 4,
      memoryUtilization: 70,
      behavior: {},
    });
  });

  it('a PDB when enabled; from 1.28 only when more than one replica can run', () => {
    const one = { autoscaleEnabled: false, replicaCount: 1 };
    assert.equal(scalingSettings(one, pdbOn, at('1.27')).pdb, true);
    assert.equal(scalingSettings(one, pdbOn, at('1.28')).pdb, false);
    assert.equal(scalingSettings({ ...one, replicaCount: 2 }, pdbOn, at('1.28')).pdb, true);
    assert.equal(
      scalingSettings({ autoscaleEnabled: true, autoscaleMin: 2 }, pdbOn, at('1.30')).pdb,
      true,
    );
    assert.equal(scalingSettings({ replicaCount: 3 }, {}, at('1.30')).pdb, false);
  });
});

describe('translate: webhook and Base settings', () => {
  it('reads istiodRemote at the top level or under pilot, with the chart defaults', () => {
    const d = webhookSettings({});
    assert.deepEqual(d, {
      injectionURL: '',
      injectionPath: '/inject',
      validationURL: '',
      reinvocationPolicy: 'Never',
      enableNamespacesByDefault: false,
      revisionTags: [],
      defaultRevision: '',
      operatorManaged: false,
    });
    assert.equal(
      webhookSettings({ pilot: { istiodRemote: { injectionPath: '/p' } } }).injectionPath,
      '/p',
    );
    assert.equal(
      webhookSettings({
        istiodRemote: { injectionURL: 'https://a' },
        pilot: { istiodRemote: { injectionURL: 'https://b' } },
      }).injectionURL,
      'https://a',
    );
    assert.deepEqual(webhookSettings({ revisionTags: ['prod', 1] }).revisionTags, ['prod', '1']);
    const b = baseSettings({
      base: { excludedCRDs: ['x'] },
      defaultRevision: 'r',
      experimental: { stableValidationPolicy: true },
    });
    assert.equal(b.configCrds, true);
    assert.deepEqual([...b.excludedCrds], ['x']);
    assert.equal(b.defaultStablePolicy, true);
    assert.equal(
      baseSettings({ experimental: { stableValidationPolicy: true } }).defaultStablePolicy,
      false,
    );
    assert.equal(baseSettings({ base: { enableIstioConfigCRDs: false } }).configCrds, false);
  });
});

describe('translate: what the mesh and injector ConfigMaps publish', () => {
  it('the mesh config: discovery address of the revision in its namespace, defaults, meshConfig over the top', () => {
    const m = meshSettings(
      { global: { meshID: 'm1', proxy: { tracer: 'zipkin' } }, meshConfig: { trustDomain: 'td' } },
      'canary',
      'mesh-ns',
    );
    assert.deepEqual(m.config.defaultConfig, {
      discoveryAddress: 'istiod-canary.mesh-ns.svc:15012',
      meshId: 'm1',
      tracing: { zipkin: { address: 'zipkin.mesh-ns:9411' } },
    });
    assert.deepEqual(m.config.defaultProviders, { metrics: ['prometheus'] });
    assert.equal(m.config.rootNamespace, 'mesh-ns');
    assert.equal(m.config.trustDomain, 'td', 'meshConfig wins');
    assert.deepEqual(m.networks, {});
    const i = injectorSettings({}, 'canary', { enabled: false });
    assert.equal(i.policy, 'enabled');
    assert.equal(i.injectedAnnotations, null);
    assert.deepEqual(i.defaultTemplates, ['sidecar']);
    assert.deepEqual(i.values.pilot, { cni: { enabled: false }, env: {} });
    assert.equal(i.values.revision, 'canary');
  });
});
