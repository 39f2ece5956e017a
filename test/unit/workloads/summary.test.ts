import assert from 'node:assert/strict';
import { proxyLabel } from '../../../src/workloads/summary.js';

describe('workloads: how a proxy is named in status and the CLI', () => {
  it('revision@version, the revision alone without a version, none without a proxy', () => {
    assert.equal(proxyLabel({ revision: '1-27', version: '1.27.0' }), '1-27@1.27.0');
    assert.equal(proxyLabel({ revision: 'default', version: '' }), 'default');
    assert.equal(proxyLabel({ revision: '', version: '1.27.0' }), 'none');
  });
});
