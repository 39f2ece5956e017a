import assert from 'node:assert/strict';
import { runInProcess } from './in-process.js';

describe('cli: cluster build', () => {
  it("lists every buildable binary in --help, the later Istio lines' istioctl and pilot-discovery included", async () => {
    const r = await runInProcess(['cluster', 'build', '--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const name of [
      'istioctl',
      'pilot-discovery',
      'istioctl-1.30',
      'pilot-discovery-1.30',
      'istioctl-1.31',
      'pilot-discovery-1.31',
    ])
      assert.match(r.stdout, new RegExp(`[ ,]${name.replace(/\./g, '\\.')}[,\\s]`), name);
  });

  it('refuses a binary it cannot build, naming those it can (before building anything)', async () => {
    const r = await runInProcess(['cluster', 'build', 'istioctl-1.29']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown binary istioctl-1\.29 \(choose from .*istioctl-1\.30/);
  });
});
