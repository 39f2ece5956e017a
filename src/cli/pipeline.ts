import { InvalidSpecError, IstioOperatorValidationError } from '../api/errors.js';
import type { GenerateResult } from '../profiles/index.js';
import {
  renderIstioOperator,
  type PipelineInput,
  type RenderOptions,
  type Rendered,
} from '../pipeline/render-istio-operator.js';
import { UserError } from './errors.js';

/**
 * Runs the pipeline (pipeline/render-istio-operator.ts, as the controller
 * does) for a command: a spec the merge or the renderer refuses is the
 * user's mistake, a UserError with the pipeline's message as is (every
 * problem, each with its field path); anything else stays an internal error.
 */
export function pipelineOrFail(
  input: PipelineInput,
  opts: RenderOptions & { render: false },
): GenerateResult;
export function pipelineOrFail(input: PipelineInput, opts?: RenderOptions): Rendered;
export function pipelineOrFail(
  input: PipelineInput,
  opts: RenderOptions = {},
): GenerateResult | Rendered {
  try {
    return renderIstioOperator(input, opts);
  } catch (err) {
    if (err instanceof IstioOperatorValidationError || err instanceof InvalidSpecError) {
      throw new UserError(err.message);
    }
    throw err;
  }
}
