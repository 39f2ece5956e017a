import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import { EMBEDDED_VALUES } from '../../../src/translate/embedded-values.js';
import { valuesFiles } from '../../../scripts/write-embedded-values.js';
import { chartProfileValues, platformValues } from '../../../src/translate/chart-profiles.js';
import { defaultValues } from '../../../src/translate/defaults.js';

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
    const a = defaultValues();
    (a.global as { hub: string }).hub = 'changed';
    assert.equal((defaultValues().global as { hub: string }).hub, '');
    const demo = chartProfileValues('demo')!;
    delete demo.pilot;
    assert.ok(chartProfileValues('demo')!.pilot);
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
