import assert from 'node:assert/strict';
import { renderManifest } from '../../../src/render/manifest.js';
import { judgeVersionChange, parseVersion, versionOfTag } from '../../../src/releases/version.js';
import { translate } from '../../../src/translate/plan.js';
import { merged } from '../translate/merged.js';

describe('versions: tags, labels and the upgrade guard', () => {
  it('reads the release number a tag starts with', () => {
    assert.deepEqual(parseVersion('1.27.9'), { major: 1, minor: 27, patch: 9 });
    assert.deepEqual(parseVersion('1.28.0-distroless'), { major: 1, minor: 28, patch: 0 });
    assert.deepEqual(parseVersion('1.28-dev'), { major: 1, minor: 28 });
    assert.equal(parseVersion('latest'), undefined);
  });

  it('labels with the release number, the tag when it names none, or unknown', () => {
    assert.equal(versionOfTag('1.27.9-distroless'), '1.27.9');
    assert.equal(versionOfTag('v1.28.1'), '1.28.1');
    assert.equal(versionOfTag('latest'), 'latest');
    assert.equal(versionOfTag('sha256:' + 'a'.repeat(64)), 'unknown');
  });

  it('allows patch upgrades, one minor up, and the same version', () => {
    assert.equal(judgeVersionChange('1.27.0', '1.27.9'), undefined);
    assert.equal(judgeVersionChange('1.27.9', '1.28.0'), undefined);
    assert.equal(judgeVersionChange('1.27.9', '1.27.9'), undefined);
    assert.equal(judgeVersionChange('1.27', '1.28.2'), undefined);
  });

  it('refuses downgrades and skipped minor versions, naming the step to take', () => {
    const down = judgeVersionChange('1.27.9', '1.27.3');
    assert.equal(down?.kind, 'downgrade');
    assert.match(down!.message, /1\.27\.3 is older than the installed 1\.27\.9/);
    assert.equal(judgeVersionChange('1.27.0', '1.26.5')?.kind, 'downgrade');
    const skip = judgeVersionChange('1.25.2', '1.27.9');
    assert.equal(skip?.kind, 'skip');
    assert.match(skip!.message, /set 1\.26\.x first/);
    assert.equal(judgeVersionChange('1.27.9', '2.0.0')?.kind, 'skip');
  });

  it('cannot judge tags that name no release, and lets them through', () => {
    assert.equal(judgeVersionChange('latest', '1.27.9'), undefined);
    assert.equal(judgeVersionChange('1.27.9', 'master'), undefined);
  });

  it('stamps each component with the version of its own tag', () => {
    const m = renderManifest(
      translate(
        merged({
          metadata: { name: 'x', namespace: 'istio-system' },
          spec: {
            tag: '1.28.1-distroless',
            components: {
              ingressGateways: [{ name: 'istio-ingressgateway', enabled: true, tag: '1.28.0' }],
            },
          },
        }),
      ),
    );
    const version = (component: string) =>
      new Set(
        m.objects
          .filter((o) => o.metadata.labels?.['operator.istio.io/component'] === component)
          .map((o) => o.metadata.labels?.['operator.istio.io/version']),
      );
    assert.equal(m.plan.version, '1.28.1');
    assert.deepEqual([...version('Pilot')], ['1.28.1']);
    assert.deepEqual([...version('Base')], ['1.28.1']);
    assert.deepEqual([...version('IngressGateways')], ['1.28.0']);
  });
});
