/**
 * The pipeline, end to end: api → profiles → translate → render. The one
 * way every caller turns an IstioOperator into the objects to apply:
 * the controller (from the cached object), `manifest generate` and `diff`
 * (from files and `--set` flags). Errors come out typed, mapped here once:
 * IstioOperatorValidationError or InvalidSpecError when the spec is at
 * fault; anything else thrown is a bug in the renderer (see
 * api/errors.ts renderFailureKind).
 */
import { InvalidSpecError } from '../api/errors.js';
import type { Diagnostic, IstioOperator } from '../api/types.js';
import { generateIstioOperator, type GenerateInput } from '../profiles/index.js';
import { RenderInputError, translate } from '../translate/plan.js';
import { withDefaultRevisionTag, type DefaultTagOptions } from '../render/default-tag.js';
import { renderManifest, type Manifest } from '../render/manifest.js';
import { OverlayError } from '../render/overlays.js';

/** What the render is for. */
export interface RenderOptions {
  /**
   * What `istioctl install` applies rather than what `istioctl manifest
   * generate` prints: for the default revision, the `default` revision tag
   * with the per-revision injector deactivated (default-tag.ts). The
   * operator and `diff` render this; `manifest generate` does not.
   */
  asInstalled?: DefaultTagOptions | false;
}

/** Renders a merged, validated IstioOperator (generateIstioOperator's result). */
export function renderMerged(iop: IstioOperator, opts: RenderOptions = {}): Manifest {
  let manifest: Manifest;
  try {
    // One way: translate finishes the plan, render only reads it.
    manifest = renderManifest(translate(iop));
  } catch (err) {
    if (err instanceof OverlayError || err instanceof RenderInputError) {
      throw new InvalidSpecError(err.message);
    }
    throw err;
  }
  return opts.asInstalled ? withDefaultRevisionTag(manifest, opts.asInstalled) : manifest;
}

/** An IstioOperator as the API server holds it (already parsed: no text round trip). */
export interface ClusterIstioOperator {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string };
  spec?: unknown;
}

/** Merges profile, layers and flags, validates and renders. */
export function renderIstioOperator(
  input: GenerateInput,
  opts: RenderOptions = {},
): { iop: IstioOperator; warnings: Diagnostic[]; manifest: Manifest } {
  const { iop, warnings } = generateIstioOperator(input);
  return { iop, warnings, manifest: renderMerged(iop, opts) };
}

/**
 * The input that renders a cluster's IstioOperator: the object itself
 * (copied: merging must never touch the informer's cache), named
 * `namespace/name` in messages.
 */
export function clusterInput(iop: ClusterIstioOperator): GenerateInput {
  return {
    files: [],
    objects: [
      {
        name: `${iop.metadata.namespace}/${iop.metadata.name}`,
        object: structuredClone({
          apiVersion: iop.apiVersion,
          kind: iop.kind,
          metadata: { name: iop.metadata.name, namespace: iop.metadata.namespace },
          spec: iop.spec ?? {},
        }),
      },
    ],
    set: [],
  };
}
