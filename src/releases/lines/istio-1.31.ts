import type { ReleaseLine } from '../line.js';
import { NATIVE, SHADOW, SPAN, CB, PICK, STRICT, UNHEALTHY, NO_RECONCILE } from '../pins.js';

/** Istio 1.31 (released 2026-08-31; supported until six weeks after 1.33.0). Defaults it changes: manifests/values/release-1.31.yaml (none). */
export const LINE: ReleaseLine = {
  minor: '1.31',
  patch: '1.31.4',
  supported: true,
  supportEnds: 'six weeks after 1.33.0',
  compatibility: {
    '1.25': {
      env: [NATIVE, SHADOW, SPAN, CB, PICK, STRICT, UNHEALTHY],
      cniAmbient: NO_RECONCILE,
      ambient: { shareHostNetworkNamespace: true },
    },
    '1.26': {
      env: [NATIVE, SHADOW, SPAN, CB, PICK, STRICT, UNHEALTHY],
      cniAmbient: NO_RECONCILE,
    },
    '1.27': { env: [SHADOW, SPAN, CB, PICK, STRICT, UNHEALTHY], cniAmbient: NO_RECONCILE },
    '1.28': { env: [CB, PICK, STRICT, UNHEALTHY], cniAmbient: NO_RECONCILE },
    '1.29': { env: [PICK, STRICT, UNHEALTHY] },
    // 1.31's profile for 1.30 also pins the gateway span flag the older profiles pin from 1.28 on.
    '1.30': { env: [STRICT, SPAN, UNHEALTHY] },
  },
  newValues: [['global', 'readerServiceAccount']],
};
