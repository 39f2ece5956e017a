import assert from 'node:assert/strict';
import { within } from '../../../src/runtime/shutdown.js';

describe('bounded shutdown', () => {
  it('reports done when the work finishes in time', async () => {
    assert.equal(await within(new Promise((r) => setTimeout(r, 10)), 1000), 'done');
  });

  it('gives up after the bound when the work hangs', async () => {
    const t0 = Date.now();
    assert.equal(await within(new Promise(() => undefined), 50), 'timeout');
    assert.ok(Date.now() - t0 < 1000);
  });
});
