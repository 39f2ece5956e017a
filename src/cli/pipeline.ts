import { InvalidSpecError, IstioOperatorValidationError } from '../api/errors.js';
import {
  renderIstioOperator,
  type PipelineInput,
  type RenderOptions,
} from '../pipeline/render-istio-operator.js';
import { UserError } from './errors.js';

/**
 * Runs the pipeline (pipeline/render-istio-operator.ts, as the controller
 * does) for a command: a spec the merge or the renderer refuses is the
 * user's mistake, a UserError with the pipeline's message as is (every
 * problem, each with its field path); anything else stays an internal error.
 */
export const pipelineOrFail: typeof renderIstioOperator = ((
  input: PipelineInput,
  opts?: RenderOptions,
) => {
  try {
    return renderIstioOperator(input, opts);
  } catch (err) {
    if (err instanceof IstioOperatorValidationError || err instanceof InvalidSpecError) {
      throw new UserError(err.message);
    }
    throw err;
  }
}) as typeof renderIstioOperator; // the pipeline's own overloads, not a second copy of them
