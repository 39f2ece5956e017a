import assert from 'node:assert/strict';
import { multiClusterDiagnostics } from '../../../src/api/multicluster.js';
import type { Diagnostic } from '../../../src/api/types.js';
import { validateIstioOperator } from '../../../src/api/validate.js';

const at = (ds: Diagnostic[], severity: Diagnostic['severity'], path: string) =>
  ds.filter((d) => d.severity === severity && d.path === path);

/** A remote cluster set up as the multi-cluster guide says: no finding. */
const goodRemote = {
  profile: 'remote',
  values: {
    global: {
      multiCluster: { clusterName: 'cluster-b' },
      network: 'net1',
      remotePilotAddress: '10.0.0.5',
    },
    istiodRemote: { injectionPath: '/inject/cluster/cluster-b/net/net1' },
  },
};

describe('multi-cluster validation', () => {
  it('finds nothing in a remote cluster named, pointed at its primary and injected with its own cluster ID', () => {
    assert.deepEqual(multiClusterDiagnostics(structuredClone(goodRemote)), []);
  });

  it('finds nothing in a single-cluster install, or a primary that names its cluster', () => {
    assert.deepEqual(multiClusterDiagnostics({}), []);
    assert.deepEqual(multiClusterDiagnostics({ profile: 'demo' }), []);
    assert.deepEqual(
      multiClusterDiagnostics({
        values: {
          global: { meshID: 'm', network: 'n1', multiCluster: { clusterName: 'cluster-a' } },
        },
      }),
      [],
    );
  });

  const remoteCases: {
    name: string;
    values: Record<string, unknown>;
    severity: Diagnostic['severity'];
    path: string;
    fix: RegExp;
  }[] = [
    {
      name: 'a remote cluster without multiCluster.clusterName',
      values: { global: { multiCluster: { clusterName: '' } } },
      severity: 'warning',
      path: 'spec.values.global.multiCluster.clusterName',
      fix: /create-remote-secret --name/,
    },
    {
      name: 'a remote cluster named Kubernetes (every primary’s default)',
      values: {
        global: { multiCluster: { clusterName: 'Kubernetes' } },
        istiodRemote: { injectionPath: '/inject/cluster/Kubernetes/net/net1' },
      },
      severity: 'warning',
      path: 'spec.values.global.multiCluster.clusterName',
      fix: /name of its own/,
    },
    {
      name: 'a remote cluster without remotePilotAddress or an injection URL',
      values: { global: { remotePilotAddress: '' } },
      severity: 'warning',
      path: 'spec.values.global.remotePilotAddress',
      fix: /remotePilotAddress.*injectionURL/,
    },
    {
      name: 'an injection path that names no cluster',
      values: { istiodRemote: { injectionPath: '/inject' } },
      severity: 'warning',
      path: 'spec.values.istiodRemote.injectionPath',
      fix: /injectionPath: \/inject\/cluster\/cluster-b\/net\/net1/,
    },
    {
      name: 'an injection URL that names no cluster',
      values: { istiodRemote: { injectionURL: 'https://istiod.example:15017/inject' } },
      severity: 'warning',
      path: 'spec.values.istiodRemote.injectionURL',
      fix: /\/inject\/cluster\/cluster-b\/net\/net1/,
    },
    {
      name: 'an injection path naming another cluster than clusterName',
      values: { istiodRemote: { injectionPath: '/inject/cluster/cluster-a/net/net1' } },
      severity: 'error',
      path: 'spec.values.istiodRemote.injectionPath',
      fix: /\/inject\/cluster\/cluster-b\/net\/net1/,
    },
    {
      name: 'an injection URL naming another network than values.global.network',
      values: {
        istiodRemote: { injectionURL: 'https://i.example:15017/inject/cluster/cluster-b/net/net9' },
      },
      severity: 'error',
      path: 'spec.values.istiodRemote.injectionURL',
      fix: /values\.global\.network/,
    },
  ];
  for (const c of remoteCases) {
    it(`reports ${c.name} (${c.severity} naming the field and the fix)`, () => {
      const spec = structuredClone(goodRemote) as { values: Record<string, unknown> };
      for (const [k, v] of Object.entries(c.values))
        spec.values[k] = { ...(spec.values[k] as object), ...(v as object) };
      // Two levels deep for multiCluster.
      const mc = (c.values.global as { multiCluster?: object } | undefined)?.multiCluster;
      if (mc) (spec.values.global as Record<string, unknown>).multiCluster = mc;
      const ds = multiClusterDiagnostics(spec);
      const [d] = at(ds, c.severity, c.path);
      assert.ok(d, JSON.stringify(ds));
      assert.match(d.fix ?? '', c.fix);
      assert.equal(ds.length, 1, JSON.stringify(ds));
    });
  }

  it('leaves injection to a local injector istiod (enabledLocalInjectorIstiod)', () => {
    const ds = multiClusterDiagnostics({
      profile: 'remote',
      values: {
        global: { multiCluster: { clusterName: 'b' } },
        istiodRemote: { enabledLocalInjectorIstiod: true },
      },
    });
    assert.deepEqual(ds, []);
  });

  it('warns about a primary with meshID or network but no clusterName', () => {
    const ds = multiClusterDiagnostics({ values: { global: { meshID: 'mesh1' } } });
    const [d] = at(ds, 'warning', 'spec.values.global.multiCluster.clusterName');
    assert.ok(d, JSON.stringify(ds));
    assert.match(d.message, /meshID/);
  });

  describe('meshNetworks', () => {
    const spec = (networks: unknown) => ({
      values: {
        global: {
          multiCluster: { clusterName: 'a' },
          network: 'n1',
          meshNetworks: networks,
        },
      },
    });
    it('warns about another network without gateways and an own network not listed', () => {
      const ds = multiClusterDiagnostics(
        spec({ n2: { endpoints: [{ fromRegistry: 'b' }] } }) as never,
      );
      assert.equal(at(ds, 'warning', 'spec.values.global.meshNetworks.n2.gateways').length, 1);
      assert.equal(at(ds, 'warning', 'spec.values.global.meshNetworks').length, 1);
    });
    it('refuses a gateway without an address or a port', () => {
      const ds = multiClusterDiagnostics(
        spec({
          n1: { endpoints: [{ fromRegistry: 'a' }] },
          n2: { gateways: [{ port: 15443 }, { address: '1.2.3.4' }] },
        }) as never,
      );
      const [a] = at(ds, 'error', 'spec.values.global.meshNetworks.n2.gateways[0]');
      const [p] = at(ds, 'error', 'spec.values.global.meshNetworks.n2.gateways[1]');
      assert.match(a?.message ?? '', /address or registryServiceName/);
      assert.match(p?.message ?? '', /a port/);
    });
    it('accepts networks each with a gateway', () => {
      const ds = multiClusterDiagnostics(
        spec({
          n1: { endpoints: [{ fromRegistry: 'a' }] },
          n2: { gateways: [{ registryServiceName: 'eastwest.istio-system.svc', port: 15443 }] },
        }) as never,
      );
      assert.deepEqual(ds, []);
    });
  });

  it('is part of the one validator (an error blocks, a warning does not)', () => {
    const iop = (spec: object) => ({
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      metadata: { name: 'x' },
      spec,
    });
    const bad = structuredClone(goodRemote);
    bad.values.istiodRemote.injectionPath = '/inject/cluster/other/net/net1';
    const ds = validateIstioOperator(iop(bad));
    assert.equal(at(ds, 'error', 'spec.values.istiodRemote.injectionPath').length, 1);
  });
});
