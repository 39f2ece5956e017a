import { Command } from 'commander';
import { loadKubeAccess, withKubeFlags, type KubeFlags } from '../kube-flags.js';
import { printWarnings, readInputFiles } from '../input.js';
import { pipelineOrFail } from '../pipeline.js';

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
      // What the operator applies: with the default revision tag istioctl install adds.
      const { manifest } = pipelineOrFail(
        { files: await readInputFiles(o.filename), set: o.set },
        { asInstalled: {}, onWarnings: printWarnings },
      );
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
