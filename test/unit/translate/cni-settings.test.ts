import assert from 'node:assert/strict';
import { cniSettings } from '../../../src/translate/components/cni.js';
import { releaseOfMinor } from '../../../src/releases/catalog.js';

const R127 = releaseOfMinor('1.27')!;

describe('translate: CNI settings, resolved once for the renderer', () => {
  it('follows the release: detection retry and labels from 1.28, grace value from 1.29, AppArmor choice from 1.30', () => {
    const values = {
      cni: {
        daemonSetLabels: { a: 'b' },
        terminationGracePeriodSeconds: 12,
        useAppArmorAnnotation: false,
        ambient: { enableAmbientDetectionRetry: true },
      },
    };
    const at = (m: string) => cniSettings(values, 't', 'info', releaseOfMinor(m)!);
    assert.equal(at('1.27').config.ENABLE_AMBIENT_DETECTION_RETRY, undefined);
    assert.deepEqual(at('1.27').daemonSetLabels, {});
    assert.equal(at('1.28').config.ENABLE_AMBIENT_DETECTION_RETRY, 'true');
    assert.deepEqual(at('1.28').daemonSetLabels, { a: 'b' });
    assert.equal(at('1.28').terminationGracePeriodSeconds, 5);
    assert.equal(at('1.29').terminationGracePeriodSeconds, 12);
    assert.equal(at('1.29').appArmorAnnotation, true);
    assert.equal(at('1.30').appArmorAnnotation, false);
  });

  it('takes the chart defaults when the values say nothing', () => {
    const s = cniSettings({}, '1.27.9', 'info', R127);
    assert.equal(s.config.CURRENT_AGENT_VERSION, '1.27.9');
    assert.equal(s.config.REPAIR_ENABLED, 'true');
    assert.equal(s.config.CHAINED_CNI_PLUGIN, 'true');
    assert.equal(s.config.AMBIENT_ENABLED, 'false');
    assert.equal(s.needsProcfs, true, 'pod repair reads /proc by default');
    assert.deepEqual(s.dirs, {
      bin: '/opt/cni/bin',
      conf: '/etc/cni/net.d',
      netns: '/var/run/netns',
    });
    assert.equal(s.multus, false);
    assert.equal(s.resourceQuota, undefined);
    assert.deepEqual(s.seLinuxOptions, {});
  });

  it('reads ambient, repair, OpenShift, multus, quotas and SELinux from the values', () => {
    const s = cniSettings(
      {
        global: { platform: 'openshift', imagePullSecrets: ['r'] },
        cni: {
          ambient: { enabled: true },
          repair: { enabled: true, deletePods: true, repairPods: false },
          provider: 'multus',
          resourceQuotas: { enabled: true, pods: 10 },
          seLinuxOptions: { level: 's0' },
          excludeNamespaces: ['a', 'b'],
          env: { Z: 1, A: 'x' },
        },
      },
      't',
      'debug',
      R127,
    );
    assert.equal(s.openshift, true);
    assert.deepEqual(s.repair, { role: true, deletePods: true, labelPods: false });
    assert.equal(s.needsProcfs, true, 'ambient reads /proc even without repair');
    assert.equal(s.multus, true);
    assert.deepEqual(s.resourceQuota, { pods: '10' });
    assert.deepEqual(s.seLinuxOptions, { type: 'spc_t', level: 's0' });
    assert.equal(s.config.EXCLUDE_NAMESPACES, 'a,b');
    assert.deepEqual(
      s.env.map((e) => e.name),
      ['A', 'Z'],
    );
    assert.deepEqual(s.pullSecrets, [{ name: 'r' }]);
    assert.equal(s.logLevel, 'debug');
  });
});
