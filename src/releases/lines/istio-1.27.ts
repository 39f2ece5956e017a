import type { ReleaseLine } from '../line.js';
import { NATIVE } from '../pins.js';

/** Istio 1.27 (released 2025-08-11; end of life ≈ 2026-03). The base line: manifests/values/defaults.yaml holds its defaults. */
export const LINE: ReleaseLine = {
  minor: '1.27',
  patch: '1.27.9',
  supported: false,
  supportEnds: '≈ 2026-03',
  compatibility: {
    '1.24': {
      env: ['PILOT_ENABLE_IP_AUTOALLOCATE', NATIVE],
      ambient: {
        dnsCapture: false,
        reconcileIptablesOnStartup: false,
        shareHostNetworkNamespace: true,
      },
    },
    '1.25': { env: [NATIVE], ambient: { shareHostNetworkNamespace: true } },
    '1.26': { env: [NATIVE] },
  },
  newValues: [],
};
