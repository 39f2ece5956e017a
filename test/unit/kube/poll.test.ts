import assert from 'node:assert/strict';
import { waitFor } from '../../../src/kube/poll.js';

describe('waitFor', () => {
  it('returns once the check passes', async () => {
    let calls = 0;
    await waitFor('thing', async () => ++calls >= 3, 5000, undefined, 1);
    assert.equal(calls, 3);
  });

  it('aborts with the fail-fast message', async () => {
    await assert.rejects(
      waitFor(
        'thing',
        async () => false,
        5000,
        () => 'process exited',
        1,
      ),
      { message: 'thing: process exited' },
    );
  });

  it('gives up after the timeout', async () => {
    await assert.rejects(
      waitFor('thing', async () => false, 20, undefined, 5),
      {
        message: 'thing: not ready after 0.02s',
      },
    );
  });
});
