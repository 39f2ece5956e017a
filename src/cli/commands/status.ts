import { Command } from 'commander';
import yaml from 'js-yaml';
import type { IstioOperator } from '../../api/types.js';
import { formatStatus, statusRows, unhealthy } from '../status-table.js';
import { UserError } from '../errors.js';
import { loadKubeAccess, withKubeFlags, type KubeFlags } from '../kube-flags.js';
import { outputOption } from '../output-flag.js';

interface StatusOpts extends KubeFlags {
  namespace?: string;
  output: 'table' | 'yaml' | 'json';
  failUnhealthy?: boolean;
}

/** `istio-operator status`: IstioOperators, their health and their components at a glance. */
export function statusCommand(): Command {
  return withKubeFlags(
    new Command('status')
      .description(
        'show IstioOperators: overall status, Ready, revision, version, and per-component status and object counts',
      )
      .argument('[name]', 'one IstioOperator (needs -n)'),
  )
    .option('-n, --namespace <ns>', 'only this namespace (default: all)')
    .addOption(outputOption(['table', 'yaml', 'json']))
    .option(
      '--fail-unhealthy',
      'exit 1 unless every IstioOperator shown is HEALTHY, current, not being deleted and reconciled by a running operator (for scripts and CI)',
    )
    .addHelpText(
      'after',
      '\nExit status: 0; 1 on errors, and with --fail-unhealthy when an IstioOperator shown is not healthy.\n' +
        '\nExamples:\n  istio-operator status\n  istio-operator status -n istio-system control-plane -o yaml\n' +
        '  istio-operator status --fail-unhealthy || echo "not healthy"\n',
    )
    .action(async (name: string | undefined, o: StatusOpts) => {
      if (name && !o.namespace)
        throw new UserError('naming an IstioOperator needs its namespace: add -n NAMESPACE');
      // The Kubernetes client is slow to import; offline commands do not pay for it.
      const [
        { KubeClient },
        { WATCHED_KINDS },
        { ownerOf },
        { LABELS, IOP_RESOURCE },
        { describeIopListError },
        { OPERATOR_DEPLOYMENT_SELECTOR, operatorFromDeployment },
      ] = await Promise.all([
        import('../../kube/client.js'),
        import('../../apply/kinds.js'),
        import('../../apply/live.js'),
        import('../../api/vocabulary.js'),
        import('../../controller/iop-crd.js'),
        import('../../install/coverage.js'),
      ]);
      const client = new KubeClient(await loadKubeAccess(o));
      let iops: IstioOperator[];
      try {
        iops = (await client.list(IOP_RESOURCE, o.namespace)) as unknown as IstioOperator[];
      } catch (err) {
        throw new UserError(`listing IstioOperators: ${describeIopListError(err)}`);
      }
      if (name) iops = iops.filter((i) => i.metadata.name === name);
      if (name && iops.length === 0) throw new UserError(`no IstioOperator ${o.namespace}/${name}`);
      const counts = new Map<string, Map<string, number>>();
      await Promise.all(
        WATCHED_KINDS.map(async (k) => {
          const objs = await client
            .list(k, undefined, `${LABELS.managed}=Reconcile`)
            .catch(() => []);
          for (const obj of objs) {
            const owner = ownerOf(obj);
            const component = obj.metadata?.labels?.[LABELS.component];
            if (!owner || !component) continue;
            const key = `${owner.namespace}/${owner.name}`;
            const m = counts.get(key) ?? new Map<string, number>();
            m.set(component, (m.get(component) ?? 0) + 1);
            counts.set(key, m);
          }
        }),
      );
      // Which operators run, and what they watch, from their Deployments' args;
      // unknown (no notes) when this user may not list Deployments.
      const operators = await client
        .list(
          { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
          undefined,
          OPERATOR_DEPLOYMENT_SELECTOR,
        )
        .then((deps) => deps.flatMap((d) => operatorFromDeployment(d) ?? []))
        .catch(() => undefined);
      const rows = statusRows(iops, counts, operators);
      // Stale proxies per IstioOperator; left out when this user may not list pods.
      const { scanWorkloads } = await import('../../controller/workloads-scan.js');
      const scanned = await scanWorkloads(client, iops).catch(() => []);
      for (const row of rows) {
        const r = scanned.find((s) => s.namespace === row.namespace && s.name === row.name)?.report;
        if (r)
          row.proxies = {
            pods: r.pods,
            stalePods: r.stalePods,
            staleWorkloads: r.workloads.length,
          };
      }
      if (o.output === 'json') process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      else if (o.output === 'yaml') process.stdout.write(yaml.dump(rows, { lineWidth: -1 }));
      else process.stdout.write(formatStatus(rows));
      const bad = rows.filter(unhealthy);
      if (o.failUnhealthy && bad.length > 0) {
        process.stderr.write(
          `${bad.length} of ${rows.length} IstioOperator(s) not healthy: ${bad.map((r) => `${r.namespace}/${r.name}`).join(', ')}\n`,
        );
        process.exitCode = 1;
      }
    });
}
