import { chooseRelease } from '../../../src/api/release.js';
import type { IstioOperator, IstioOperatorSpec, ObjectMeta } from '../../../src/api/types.js';
import { API_VERSION, KIND } from '../../../src/api/vocabulary.js';
import type { MergedIstioOperator } from '../../../src/profiles/index.js';

/**
 * The handoff translate/ takes, for its unit tests: `iop` as written (no
 * profile merged under it, so a test sees only what it sets) and the
 * release profiles/ would choose for it (api/release.ts).
 */
export function merged(iop: {
  metadata?: ObjectMeta;
  spec?: IstioOperatorSpec;
}): MergedIstioOperator {
  const full: IstioOperator = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: iop.metadata ?? {},
    spec: iop.spec ?? {},
  };
  const choice = chooseRelease(full);
  if (!choice.release) throw new Error(`no release: ${JSON.stringify(choice.diagnostics)}`);
  return { iop: full, release: choice.release };
}
