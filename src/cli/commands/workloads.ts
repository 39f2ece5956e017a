import { Command } from 'commander';
import yaml from 'js-yaml';
import type { IstioOperator } from '../../api/types.js';
import { UserError } from '../errors.js';
import { loadKubeAccess, withKubeFlags, type KubeFlags } from '../kube-flags.js';
import { outputOption } from '../output-flag.js';
import { formatWorkloads, workloadRows } from '../workloads-table.js';

interface WorkloadsOpts extends KubeFlags {
  namespace?: string;
  output: 'table' | 'yaml' | 'json';
}

/**
 * `istio-operator workloads`: the workloads whose pods still run a proxy
 * other than the one their revision injects today (after an in-place
 * upgrade or a moved tag or namespace label), so the user knows what to
 * restart. Read-only; lists namespaces, pods and injector webhooks once.
 */
export function workloadsCommand(): Command {
  return withKubeFlags(
    new Command('workloads')
      .description(
        'list workloads whose pods run an old proxy: namespace, workload, kind, current -> wanted revision and version, per IstioOperator with Pilot',
      )
      .argument('[name]', 'one IstioOperator (needs -n)'),
  )
    .option('-n, --namespace <ns>', 'only the IstioOperators of this namespace (default: all)')
    .addOption(outputOption(['table', 'yaml', 'json']))
    .addHelpText(
      'after',
      "\nA workload is listed when a pod of it carries another revision's proxy, another proxy version, or none\n" +
        'while its namespace (or pod labels) ask for injection; restart it (kubectl rollout restart) to pick up\n' +
        'the wanted proxy. Pods opted out with sidecar.istio.io/inject: "false" are never listed.\n' +
        '\nExamples:\n  istio-operator workloads\n  istio-operator workloads -n istio-system canary -o json\n',
    )
    .action(async (name: string | undefined, o: WorkloadsOpts) => {
      if (name && !o.namespace)
        throw new UserError('naming an IstioOperator needs its namespace: add -n NAMESPACE');
      const [{ KubeClient }, { IOP_RESOURCE }, { describeIopListError }, { scanWorkloads }] =
        await Promise.all([
          import('../../kube/client.js'),
          import('../../api/vocabulary.js'),
          import('../../controller/iop-crd.js'),
          import('../../controller/workloads-scan.js'),
        ]);
      const client = new KubeClient(await loadKubeAccess(o));
      let all: IstioOperator[];
      try {
        all = (await client.list(IOP_RESOURCE)) as unknown as IstioOperator[];
      } catch (err) {
        throw new UserError(`listing IstioOperators: ${describeIopListError(err)}`);
      }
      // Every IstioOperator takes part in the render (who holds the default
      // tag); only the chosen ones are shown.
      const shown = (await scanWorkloads(client, all)).filter(
        (i) => (!o.namespace || i.namespace === o.namespace) && (!name || i.name === name),
      );
      if (name && shown.length === 0)
        throw new UserError(`no IstioOperator ${o.namespace}/${name} with Pilot`);
      if (o.output === 'json')
        process.stdout.write(JSON.stringify(workloadRows(shown), null, 2) + '\n');
      else if (o.output === 'yaml')
        process.stdout.write(yaml.dump(workloadRows(shown), { lineWidth: -1 }));
      else process.stdout.write(formatWorkloads(shown));
    });
}
