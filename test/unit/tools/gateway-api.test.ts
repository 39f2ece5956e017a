import assert from 'node:assert/strict';
import { ISTIO_BINARY_LINES } from '../../../src/cluster/binaries.js';
import {
  gatewayApiLines,
  istiodGatewayApiVersion,
  pinnedGatewayApiVersion,
} from '../../support/gateway-api.js';

describe('tools/gateway-api: the Gateway API CRDs of each line with a real istiod', () => {
  it('pins one version per line that has a pilot-discovery, and no other', async () => {
    assert.deepEqual(await gatewayApiLines(), [...ISTIO_BINARY_LINES]);
  });

  it("pins the version each line's pilot-discovery is built against", async () => {
    const pins: Record<string, [string, string | undefined]> = {};
    for (const line of ISTIO_BINARY_LINES) {
      pins[line] = [await pinnedGatewayApiVersion(line), await istiodGatewayApiVersion(line)];
    }
    assert.deepEqual(pins, {
      '1.27': ['v1.3.0', 'v1.3.0'],
      '1.30': ['v1.5.1', 'v1.5.1'],
      '1.31': ['v1.6.0', 'v1.6.0'],
    });
  });
});
