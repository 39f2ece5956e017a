import assert from 'node:assert/strict';
import { compatibilityValues } from '../../../src/translate/compatibility.js';
import { releaseOfMinor } from '../../../src/releases/catalog.js';
import { render } from '../render/helpers.js';

describe("translate: compatibilityVersion pins an older release's behaviour, per line", () => {
  const at = (minor: string, v: string) => compatibilityValues(releaseOfMinor(minor)!, v);

  it("pins istiod's feature flags and the CNI's ambient settings of the older release", () => {
    assert.deepEqual(at('1.30', '1.28').values, {
      pilot: {
        env: {
          DISABLE_TRACK_REMAINING_CB_METRICS: 'false',
          PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE: 'false',
        },
      },
      cni: { ambient: { reconcileIptablesOnStartup: false } },
    });
    assert.deepEqual(at('1.30', '1.28').injectorCni, {
      ambient: { reconcileIptablesOnStartup: false },
    });
    assert.deepEqual(at('1.27', '1.25').values, {
      pilot: { env: { ENABLE_NATIVE_SIDECARS: 'false' } },
      cni: { ambient: { shareHostNetworkNamespace: true } },
    });
    assert.deepEqual(at('1.30', ''), { values: {}, injectorCni: {} });
  });

  it('renders them: istiod env, and the CNI agent in the node network namespace for 1.25', () => {
    const m = render({ profile: 'ambient', tag: '1.30.3', compatibilityVersion: '1.25' });
    const istiod = m.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'istiod')!;
    const env = (
      istiod.spec as {
        template: { spec: { containers: { env: { name: string; value?: string }[] }[] } };
      }
    ).template.spec.containers[0]!.env;
    assert.equal(env.find((e) => e.name === 'ENABLE_NATIVE_SIDECARS')?.value, 'false');
    const cni = m.objects.find(
      (o) => o.kind === 'DaemonSet' && o.metadata.name === 'istio-cni-node',
    )!;
    assert.equal(
      (cni.spec as { template: { spec: { hostNetwork?: boolean } } }).template.spec.hostNetwork,
      true,
    );
    const config = m.objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name === 'istio-cni-config',
    )!;
    assert.equal(
      (config.data as Record<string, string>).AMBIENT_RECONCILE_POD_RULES_ON_STARTUP,
      'false',
    );
  });
});
