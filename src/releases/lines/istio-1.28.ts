import type { ReleaseLine } from '../line.js';
import { NATIVE, SHADOW, SPAN } from '../pins.js';

/** Istio 1.28 (end of life ≈ 2026-07). Defaults it changes: manifests/values/release-1.28.yaml. */
export const LINE: ReleaseLine = {
  minor: '1.28',
  patch: '1.28.10',
  supported: false,
  supportEnds: '≈ 2026-07',
  compatibility: {
    '1.25': { env: [NATIVE, SHADOW, SPAN], ambient: { shareHostNetworkNamespace: true } },
    '1.26': { env: [NATIVE, SHADOW, SPAN] },
    '1.27': { env: [SHADOW, SPAN] },
  },
  newValues: [
    ['global', 'networkPolicy'],
    ['global', 'resourceScope'],
    ['cni', 'daemonSetLabels'],
    ['cni', 'podLabels'],
  ],
};
