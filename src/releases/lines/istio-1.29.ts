import type { ReleaseLine } from '../line.js';
import { NATIVE, SHADOW, SPAN, CB, NO_RECONCILE } from '../pins.js';

/** Istio 1.29 (end of life ≈ 2026-10-12). Defaults it changes: manifests/values/release-1.29.yaml. */
export const LINE: ReleaseLine = {
  minor: '1.29',
  patch: '1.29.8',
  supported: false,
  supportEnds: '≈ 2026-10-12',
  compatibility: {
    '1.25': {
      env: [NATIVE, SHADOW, SPAN, CB],
      cniAmbient: NO_RECONCILE,
      ambient: { shareHostNetworkNamespace: true },
    },
    '1.26': { env: [NATIVE, SHADOW, SPAN, CB], cniAmbient: NO_RECONCILE },
    '1.27': { env: [SHADOW, SPAN, CB], cniAmbient: NO_RECONCILE },
    '1.28': { env: [CB], cniAmbient: NO_RECONCILE },
  },
  newValues: [
    ['global', 'proxy', 'seccompProfile'],
    ['global', 'agentgateway'],
    ['pilot', 'crlConfigMapName'],
  ],
};
