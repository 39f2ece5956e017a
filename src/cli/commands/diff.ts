import { Command } from 'commander';
import { withDefaultRevisionTag } from '../../render/default-tag.js';
import { renderManifest } from '../../render/manifest.js';
import { OverlayError } from '../../render/overlays.js';
import { RenderInputError } from '../../translate/plan.js';
import { UserError } from '../errors.js';
import { loadKubeAccess, withKubeFlags, type KubeFlags } from '../kube-flags.js';
import { generateOrFail, printWarnings, readInputFiles } from '../input.js';

interface DiffOpts extends KubeFlags {
  filename: string[];
  set: string[];
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** `istio-operator diff`: what applying an IstioOperator would change in the cluster, without changing it. */
export function diffCommand(): Command {
  return withKubeFlags(
    new Command('diff')
      .description(
        'preview an IstioOperator against the cluster: objects to create, field-level changes\n' +
          "(server-side-apply dry run, so defaults and admission are the server's own) and\n" +
          'objects a reconcile would prune. Changes nothing. Exit 0 when nothing would change, 1 otherwise',
      )
      .requiredOption(
        '-f, --filename <file>',
        'IstioOperator file (repeatable; - for stdin)',
        collect,
        [],
      )
      .option(
        '--set <path=value>',
        'override a field, as in profile dump (repeatable)',
        collect,
        [],
      ),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  istio-operator diff -f control-plane.yaml\n  istio-operator diff -f control-plane.yaml --set tag=1.27.9\n',
    )
    .action(async (o: DiffOpts) => {
      const result = generateOrFail({ files: await readInputFiles(o.filename), set: o.set });
      printWarnings(result.warnings);
      let manifest;
      try {
        // What the operator applies: with the default revision tag istioctl install adds.
        manifest = withDefaultRevisionTag(renderManifest(result.iop));
      } catch (err) {
        if (err instanceof OverlayError || err instanceof RenderInputError)
          throw new UserError(err.message);
        throw err;
      }
      const [{ KubeClient }, { previewApply, formatPreview }] = await Promise.all([
        import('../../kube/client.js'),
        import('../../apply/preview.js'),
      ]);
      const client = new KubeClient(await loadKubeAccess(o));
      const preview = await previewApply(client, manifest.objects as never, manifest.plan.owner);
      process.stdout.write(formatPreview(preview));
      const changes =
        preview.create.length +
        preview.change.length +
        preview.prune.length +
        preview.errors.length;
      if (changes > 0) process.exitCode = 1;
    });
}
