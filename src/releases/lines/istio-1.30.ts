import type { ReleaseLine } from '../line.js';
import { NATIVE, SHADOW, SPAN, CB, PICK, NO_RECONCILE } from '../pins.js';

/** Istio 1.30 (supported until six weeks after 1.32.0). Defaults it changes: manifests/values/release-1.30.yaml. */
export const LINE: ReleaseLine = {
  minor: '1.30',
  patch: '1.30.8',
  supported: true,
  supportEnds: 'six weeks after 1.32.0 (≈ 2027-01)',
  compatibility: {
    '1.25': {
      env: [NATIVE, SHADOW, SPAN, CB, PICK],
      cniAmbient: NO_RECONCILE,
      ambient: { shareHostNetworkNamespace: true },
    },
    '1.26': { env: [NATIVE, SHADOW, SPAN, CB, PICK], cniAmbient: NO_RECONCILE },
    '1.27': { env: [SHADOW, SPAN, CB, PICK], cniAmbient: NO_RECONCILE },
    '1.28': { env: [CB, PICK], cniAmbient: NO_RECONCILE },
    '1.29': { env: [PICK] },
  },
  newValues: [
    ['global', 'enableReaderRBAC'],
    ['cni', 'useAppArmorAnnotation'],
    ['pilot', 'taint', 'name'],
  ],
};
