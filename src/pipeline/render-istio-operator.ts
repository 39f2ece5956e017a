/**
 * The pipeline, end to end: api → profiles → translate → render. The one
 * way every caller turns an IstioOperator into its objects: the controller
 * (from the cached object, `clusterInput`), `manifest generate` and `diff`
 * (from files and `--set` flags), and, stopping after the merge, `profile
 * dump` and `validate`. profiles/ hands translate/ one MergedIstioOperator
 * (the merged spec and the release it chose), which translate/ reads
 * without deciding anything again.
 *
 * Errors come out typed, mapped here once: IstioOperatorValidationError or
 * InvalidSpecError when the spec is at fault; anything else thrown is a
 * bug in the renderer (see api/errors.ts renderFailureKind).
 */
import { InvalidSpecError } from '../api/errors.js';
import type { Diagnostic, IstioOperator } from '../api/types.js';
import { ISTIO_VERSION_ANNOTATION } from '../api/vocabulary.js';
import {
  generateIstioOperator,
  type GenerateInput,
  type GenerateResult,
  type MergedIstioOperator,
} from '../profiles/index.js';
import { RenderInputError, translate } from '../translate/plan.js';
import { withDefaultRevisionTag, type DefaultTagOptions } from '../render/default-tag.js';
import { renderManifest, type Manifest } from '../render/manifest.js';
import { OverlayError } from '../render/overlays.js';

/** What the pipeline starts from: user files, flags and a profile, or a cluster's object. */
export type PipelineInput = GenerateInput;

/** How far the pipeline runs, and what the render is for. */
export interface RenderOptions {
  /**
   * What `istioctl install` applies rather than what `istioctl manifest
   * generate` prints: for the default revision, the `default` revision tag
   * with the per-revision injector deactivated (default-tag.ts). The
   * operator and `diff` render this; `manifest generate` does not.
   */
  asInstalled?: DefaultTagOptions | false;
  /**
   * Called with the merge's warnings before the render starts, so that a
   * command prints them even when the render then refuses the spec.
   */
  onWarnings?: (warnings: Diagnostic[]) => void;
  /**
   * false: stop after the merge (`profile dump` prints the merged
   * IstioOperator, `validate` judges it; neither renders). Default true.
   */
  render?: boolean;
}

/** The pipeline's result: the merge (handoff and warnings) and, unless stopped, the manifest. */
export interface Rendered extends GenerateResult {
  manifest: Manifest;
}

/**
 * Merges profile, layers and flags, validates and (unless `render: false`)
 * renders. Throws IstioOperatorValidationError for a spec the merge
 * refuses, InvalidSpecError for one the renderer refuses.
 */
export function renderIstioOperator(
  input: PipelineInput,
  opts: RenderOptions & { render: false },
): GenerateResult;
export function renderIstioOperator(input: PipelineInput, opts?: RenderOptions): Rendered;
export function renderIstioOperator(
  input: PipelineInput,
  opts: RenderOptions = {},
): GenerateResult | Rendered {
  const merged = generateIstioOperator(input);
  opts.onWarnings?.(merged.warnings);
  if (opts.render === false) return merged;
  return { ...merged, manifest: renderMerged(merged, opts.asInstalled ?? false) };
}

function renderMerged(
  merged: MergedIstioOperator,
  asInstalled: DefaultTagOptions | false,
): Manifest {
  let manifest: Manifest;
  try {
    // One way: translate finishes the plan, render only reads it.
    manifest = renderManifest(translate(merged));
  } catch (err) {
    if (err instanceof OverlayError || err instanceof RenderInputError) {
      throw new InvalidSpecError(err.message);
    }
    throw err;
  }
  return asInstalled ? withDefaultRevisionTag(manifest, asInstalled) : manifest;
}

/**
 * The input that renders a cluster's IstioOperator: the object as the API
 * server holds it, already parsed (no file name, no text, none of a file's
 * checks), cut to what the render reads of it: kind, name, namespace, the
 * `install.istio.io/istio-version` annotation (which line a tag that names
 * no version installs) and spec. It shares the spec with the informer's
 * cache, which profiles/ copies before it merges (clusterLayer), and is a
 * fit memo key: it changes whenever something the render reads changes,
 * and only then (other annotations, labels and status leave it alone).
 */
export function clusterInput(iop: IstioOperator): PipelineInput {
  const version = iop.metadata.annotations?.[ISTIO_VERSION_ANNOTATION];
  return {
    cluster: {
      apiVersion: iop.apiVersion,
      kind: iop.kind,
      metadata: {
        name: iop.metadata.name,
        namespace: iop.metadata.namespace,
        ...(version !== undefined ? { annotations: { [ISTIO_VERSION_ANNOTATION]: version } } : {}),
      },
      spec: iop.spec ?? {},
    },
  };
}
