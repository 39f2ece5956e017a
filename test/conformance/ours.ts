import { renderIstioOperator } from '../../src/pipeline/render-istio-operator.js';
import { releaseOfMinor } from '../../src/releases/catalog.js';
import type { K8sObject } from '../../src/render/object.js';

/**
 * Our side of a comparison: the pipeline `istio-operator manifest generate
 * -f FILE --set ...` runs, in process.
 */
export function renderOurs(name: string, content: string, set: string[]): K8sObject[] {
  return renderIstioOperator({ files: [{ name, content }], set }).manifest.objects;
}

/**
 * The oracle runs with an explicit tag: the istioctl we can build is
 * 1.27.0, while the operator's default tag is its newest 1.27 patch
 * (ISTIO_VERSION). Both sides get this flag, so images compare equal and
 * the difference stays a documented choice, not an allow-list entry.
 */
export const TAG_FLAG = 'tag=1.27.0';

/**
 * The tag both sides render for a line compared live: for 1.27 the
 * oracle's own 1.27.0 ({@link TAG_FLAG}); for a later line its default
 * patch in the catalog (what the operator installs when only the line is
 * chosen), whatever commit the oracle was built from (it renders the tag
 * it is given). Undefined when the catalog does not carry the line.
 */
export function liveTag(minor: string): string | undefined {
  if (minor === '1.27') return TAG_FLAG.replace(/^tag=/, '');
  return releaseOfMinor(minor)?.patch;
}
