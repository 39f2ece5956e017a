import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import { EMBEDDED_VALUES } from '../../../src/translate/embedded-values.js';
import { valuesFiles } from '../../../scripts/write-embedded-values.js';
import { chartProfileValues, platformValues } from '../../../src/translate/chart-profiles.js';
import { defaultValues } from '../../../src/translate/defaults.js';
import { DEFAULT_RELEASE, releaseOfMinor } from '../../../src/releases/catalog.js';

describe('embedded component values', () => {
  it('match manifests/values/*.yaml, parsed (run scripts/write-embedded-values.ts after editing)', () => {
    const files = valuesFiles();
    assert.deepEqual(
      Object.keys(EMBEDDED_VALUES).sort(),
      files.map((f) => f.name),
    );
    for (const f of files)
      assert.deepEqual(JSON.parse(EMBEDDED_VALUES[f.name]!), yaml.load(f.content), f.name);
  });

  it('hands out fresh trees, so one render cannot change the next', () => {
    const a = defaultValues(DEFAULT_RELEASE);
    (a.global as { hub: string }).hub = 'changed';
    assert.equal((defaultValues(DEFAULT_RELEASE).global as { hub: string }).hub, '');
    const demo = chartProfileValues('demo')!;
    delete demo.pilot;
    assert.ok(chartProfileValues('demo')!.pilot);
  });

  it("layers each release line's changed defaults over the older lines'", () => {
    const at = (minor: string) => defaultValues(releaseOfMinor(minor)!);
    const reconcile = (v: ReturnType<typeof at>) =>
      (v.cni as { ambient: { reconcileIptablesOnStartup: boolean } }).ambient
        .reconcileIptablesOnStartup;
    assert.equal(reconcile(at('1.27')), false);
    assert.equal(reconcile(at('1.28')), false);
    assert.equal(reconcile(at('1.29')), true);
    assert.equal(reconcile(at('1.30')), true);
    assert.equal((at('1.27').global as Record<string, unknown>).resourceScope, undefined);
    assert.equal((at('1.30').global as Record<string, unknown>).resourceScope, 'all');
    assert.deepEqual((at('1.30').pilot as Record<string, unknown>).taint, {
      name: 'cni.istio.io/not-ready',
    });
  });

  it('knows the chart profiles and the openshift platform', () => {
    for (const p of [
      'default',
      'demo',
      'minimal',
      'empty',
      'preview',
      'stable',
      'ambient',
      'remote',
    ]) {
      assert.ok(chartProfileValues(p), p);
    }
    assert.equal(chartProfileValues('turbo'), undefined);
    assert.equal((platformValues('openshift').cni as { provider: string }).provider, 'multus');
    assert.deepEqual(platformValues('gke'), {});
  });
});
