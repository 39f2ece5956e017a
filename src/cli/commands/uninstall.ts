import { Command } from 'commander';
import { parseDuration } from '../duration.js';
import { UserError } from '../errors.js';
import { loadKubeAccess, withKubeFlags, type KubeFlags } from '../kube-flags.js';

interface UninstallOpts extends KubeFlags {
  namespace?: string;
  timeout: string;
}

/**
 * `istio-operator uninstall NAME -n NS`: finishes (or starts) the uninstall
 * of one IstioOperator in this process, with the controller's own finalizer
 * code — the way out when no operator runs and `kubectl delete iop` hangs on
 * the finalizer.
 */
export function uninstallCommand(): Command {
  return withKubeFlags(
    new Command('uninstall')
      .description(
        'uninstall one IstioOperator from this process, without a running operator: delete it\n' +
          "(if it is not being deleted yet), delete everything it installed with the operator's own\n" +
          'finalizer logic (Istio CRDs stay unless annotated), then release its finalizer.\n' +
          'Use it when the operator is stopped or removed and `kubectl delete iop` hangs',
      )
      .argument('<name>', 'the IstioOperator')
      .requiredOption('-n, --namespace <ns>', 'its namespace'),
  )
    .option('--timeout <duration>', 'how long to wait for what it installed to go', '5m')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  istio-operator uninstall control-plane -n istio-system\n' +
        '  istio-operator uninstall ingress -n istio-ingress --timeout 2m\n',
    )
    .action(async (name: string, o: UninstallOpts) => {
      const timeoutMs = parseDuration(o.timeout);
      const [{ KubeClient }, { uninstallInProcess, UninstallBlocked }, { describeIopListError }] =
        await Promise.all([
          import('../../kube/client.js'),
          import('../../controller/uninstall.js'),
          import('../../controller/iop-crd.js'),
        ]);
      const client = new KubeClient(await loadKubeAccess(o));
      try {
        const deleted = await uninstallInProcess(client, o.namespace!, name, {
          timeoutMs,
          onProgress: (l) => process.stderr.write(`• ${l}\n`),
        });
        process.stdout.write(
          deleted.length ? `deleted ${deleted.join(', ')}\n` : 'nothing was installed\n',
        );
      } catch (err) {
        if (err instanceof UninstallBlocked) throw new UserError(err.message);
        throw new UserError(`uninstall ${o.namespace}/${name}: ${describeIopListError(err)}`);
      }
    });
}
