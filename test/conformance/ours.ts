import { generateIstioOperator } from '../../src/profiles/index.js';
import { renderManifest } from '../../src/render/manifest.js';
import type { K8sObject } from '../../src/render/object.js';
import { translate } from '../../src/translate/plan.js';

/**
 * Our side of a comparison: the same merge and render `istio-operator
 * manifest generate -f FILE --set ...` performs, in process.
 */
export function renderOurs(name: string, content: string, set: string[]): K8sObject[] {
  const { iop } = generateIstioOperator({ files: [{ name, content }], set });
  return renderManifest(translate(iop)).objects;
}

/**
 * The oracle runs with an explicit tag: the istioctl we can build is
 * 1.27.0, while the operator's default tag is its newest 1.27 patch
 * (ISTIO_VERSION). Both sides get this flag, so images compare equal and
 * the difference stays a documented choice, not an allow-list entry.
 */
export const TAG_FLAG = 'tag=1.27.0';
