import { InvalidSpecError } from '../api/errors.js';
import type { IstioOperator } from '../api/types.js';
import type { Manifest } from '../render/manifest.js';
import { renderMerged, type RenderOptions } from '../pipeline/render-istio-operator.js';
import { UserError } from './errors.js';

/**
 * Renders a merged IstioOperator for a command: a spec the renderer refuses
 * is the user's mistake (a UserError, its message as is); anything else
 * stays an internal error.
 */
export function renderOrFail(iop: IstioOperator, opts: RenderOptions = {}): Manifest {
  try {
    return renderMerged(iop, opts);
  } catch (err) {
    if (err instanceof InvalidSpecError) throw new UserError(err.message);
    throw err;
  }
}
