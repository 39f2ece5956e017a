import assert from 'node:assert/strict';
import {
  applySetFlag,
  parseSetFlag,
  parseSetPath,
  SetFlagError,
  typeSetValue,
} from '../../../src/profiles/set-flags.js';

describe('--set grammar', () => {
  describe('path syntax', () => {
    const cases: [string, unknown][] = [
      ['profile', [{ kind: 'key', key: 'profile' }]],
      [
        'values.global.hub',
        [
          { kind: 'key', key: 'values' },
          { kind: 'key', key: 'global' },
          { kind: 'key', key: 'hub' },
        ],
      ],
      [
        'values.pilot.podAnnotations.example\\.com/team',
        [
          { kind: 'key', key: 'values' },
          { kind: 'key', key: 'pilot' },
          { kind: 'key', key: 'podAnnotations' },
          { kind: 'key', key: 'example.com/team' },
        ],
      ],
      [
        'components.ingressGateways[0].enabled',
        [
          { kind: 'key', key: 'components' },
          { kind: 'key', key: 'ingressGateways' },
          { kind: 'index', index: 0 },
          { kind: 'key', key: 'enabled' },
        ],
      ],
      [
        'components.ingressGateways.[name:istio-ingressgateway].k8s',
        [
          { kind: 'key', key: 'components' },
          { kind: 'key', key: 'ingressGateways' },
          { kind: 'select', field: 'name', value: 'istio-ingressgateway' },
          { kind: 'key', key: 'k8s' },
        ],
      ],
      [
        'a[1][2]',
        [
          { kind: 'key', key: 'a' },
          { kind: 'index', index: 1 },
          { kind: 'index', index: 2 },
        ],
      ],
    ];
    for (const [path, want] of cases) {
      it(`parses ${path}`, () => assert.deepEqual(parseSetPath(path), want));
    }

    for (const bad of ['', 'a..b', '.a', 'a[0', 'a[x]']) {
      it(`rejects the malformed path "${bad}"`, () => {
        assert.throws(() => parseSetPath(bad), SetFlagError);
      });
    }
  });

  describe('value typing', () => {
    const cases: [string, string, unknown][] = [
      ['values.pilot.autoscaleMin', '3', 3],
      ['values.pilot.autoscaleMin', '-3', -3],
      ['values.pilot.traceSampling', '0.5', 0.5],
      ['values.pilot.traceSampling', '1e2', 100],
      ['values.global.logAsJson', 'true', true],
      ['values.global.logAsJson', 'False', false],
      ['values.global.logAsJson', 't', true],
      ['values.global.hub', 'docker.io/istio', 'docker.io/istio'],
      [
        'values.global.proxy.includeIPRanges',
        '10.0.0.0/8\\,172.16.0.0/12',
        '10.0.0.0/8,172.16.0.0/12',
      ],
      ['values.global.network', '', ''],
      ['tag', '1.27', '1.27'],
      ['tag', '1', '1'],
      ['values.global.tag', '1.27', '1.27'],
      ['compatibilityVersion', '1.25', '1.25'],
      ['values.compatibilityVersion', '1.25', '1.25'],
      ['meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE', 'true', 'true'],
      ['values.meshConfig.defaultConfig.proxyMetadata.CONCURRENCY', '2', '2'],
      ['components.pilot.tag', '1.27.1', '1.27.1'],
      ['values.pilot.env.HEX', '0x10', '0x10'],
      ['values.pilot.env.VERSION', '1.2.3', '1.2.3'],
    ];
    for (const [path, raw, want] of cases) {
      it(`types ${path}=${raw} as ${JSON.stringify(want)}`, () => {
        assert.deepEqual(typeSetValue(path, raw), want);
      });
    }
  });

  describe('flag format', () => {
    it('splits at the first "=" only', () => {
      const f = parseSetFlag('values.pilot.env.OPTS=a=b');
      assert.equal(f.path, 'values.pilot.env.OPTS');
      assert.equal(f.value, 'a=b');
    });
    for (const bad of ['profile', '=demo']) {
      it(`rejects "${bad}" as not path=value`, () => {
        assert.throws(() => parseSetFlag(bad), /must be path=value/);
      });
    }
  });

  describe('applying', () => {
    const gateways = () => ({
      components: {
        ingressGateways: [
          { name: 'istio-ingressgateway', enabled: true },
          { name: 'other', enabled: true },
        ],
      },
    });

    it('creates missing maps', () => {
      const t = {};
      applySetFlag(t, parseSetFlag('values.global.proxy.logLevel=debug'));
      assert.deepEqual(t, { values: { global: { proxy: { logLevel: 'debug' } } } });
    });

    it('selects a list element by field', () => {
      const t = gateways();
      applySetFlag(t, parseSetFlag('components.ingressGateways[name:other].enabled=false'));
      assert.equal(t.components.ingressGateways[1]!.enabled, false);
      assert.equal(t.components.ingressGateways[0]!.enabled, true);
    });

    it('indexes into a list', () => {
      const t = gateways();
      applySetFlag(t, parseSetFlag('components.ingressGateways[0].namespace=edge'));
      assert.deepEqual(t.components.ingressGateways[0], {
        name: 'istio-ingressgateway',
        enabled: true,
        namespace: 'edge',
      });
    });

    it('appends when the index is past the end', () => {
      const t = gateways();
      applySetFlag(t, parseSetFlag('components.ingressGateways[5].name=third'));
      assert.equal(t.components.ingressGateways.length, 3);
      assert.deepEqual(t.components.ingressGateways[2], { name: 'third' });
    });

    it('creates a list for an index on a missing key', () => {
      const t: Record<string, unknown> = {};
      applySetFlag(t, parseSetFlag('components.egressGateways[0].name=eg'));
      assert.deepEqual(t, { components: { egressGateways: [{ name: 'eg' }] } });
    });

    it('fails when a selector matches nothing, naming the element', () => {
      assert.throws(
        () =>
          applySetFlag(
            gateways(),
            parseSetFlag('components.ingressGateways[name:nope].enabled=true'),
          ),
        /element \[name:nope\] not found in components\.ingressGateways/,
      );
    });

    it('fails when indexing something that is not a list', () => {
      assert.throws(
        () => applySetFlag({ values: { pilot: {} } }, parseSetFlag('values.pilot[0]=x')),
        /values\.pilot is not a list/,
      );
    });

    it('fails when setting a key on a list', () => {
      assert.throws(
        () => applySetFlag(gateways(), parseSetFlag('components.ingressGateways.name=x')),
        /is a list, not a map/,
      );
    });
  });
});
