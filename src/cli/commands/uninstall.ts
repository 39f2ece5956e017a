import { Command } from 'commander';
import { UserError } from '../errors.js';
import { parseDuration } from './install.js';

interface UninstallOpts {
  kubeconfig?: string;
  context?: string;
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
  return new Command('uninstall')
    .description(
      'uninstall one IstioOperator from this process, without a running operator: delete it\n' +
        "(if it is not being deleted yet), delete everything it installed with the operator's own\n" +
        'finalizer logic (Istio CRDs stay unless annotated), then release its finalizer.\n' +
        'Use it when the operator is stopped or removed and `kubectl delete iop` hangs',
    )
    .argument('<name>', 'the IstioOperator')
    .requiredOption('-n, --namespace <ns>', 'its namespace')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('--timeout <duration>', 'how long to wait for what it installed to go', '5m')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  istio-operator uninstall control-plane -n istio-system\n' +
        '  istio-operator uninstall ingress -n istio-ingress --timeout 2m\n',
    )
    .action(async (name: string, o: UninstallOpts) => {
      const timeoutMs = parseDuration(o.timeout);
      const [
        { loadKubeConfig },
        { KubeClient },
        { uninstallInProcess, UninstallBlocked },
        { describeIopListError },
      ] = await Promise.all([
        import('../../kube/config.js'),
        import('../../kube/client.js'),
        import('../../controller/uninstall.js'),
        import('../../controller/iop-crd.js'),
      ]);
      let client;
      try {
        client = new KubeClient(await loadKubeConfig(o));
      } catch (err) {
        throw new UserError((err as Error).message);
      }
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
