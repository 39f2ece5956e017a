import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { logger } from '../../log/logger.js';
import { OPERATOR_VERSION, ISTIO_VERSION } from '../../version.js';
import { UserError } from '../errors.js';
import { loadKubeAccess, withKubeFlags, type KubeFlags } from '../kube-flags.js';
import type { KubeClient } from '../../kube/client.js';

interface RunOptions extends KubeFlags {
  watchNamespaces?: string;
  workers: number;
  metricsAddr: string;
  healthAddr: string;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId?: string;
  revision?: string;
  /** Milliseconds in-flight reconciles get at SIGTERM. */
  shutdownTimeout: number;
}

/** Where a pod finds its own namespace. */
const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The namespace of the Lease when not given: the pod's own, else `istio-operator`. */
function defaultLeaseNamespace(): string {
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim() || 'istio-operator';
  } catch {
    return 'istio-operator';
  }
}

async function warnIfCrdMissing(client: KubeClient, namespace: string | undefined): Promise<void> {
  const [{ IOP_RESOURCE }, { crdMissingMessage }, { isNotFound }] = await Promise.all([
    import('../../api/vocabulary.js'),
    import('../../controller/iop-crd.js'),
    import('../../kube/errors.js'),
  ]);
  try {
    await client.listRaw(IOP_RESOURCE, namespace);
  } catch (err) {
    if (isNotFound(err)) logger.warn(`${crdMissingMessage()}; waiting for it`);
  }
}

function parseWorkers(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new UserError(
      `--workers: "${v}" is not a worker count (use a whole number from 1 to 64)`,
    );
  }
  return n;
}

/** `istio-operator run`: the operator itself. */
export function runCommand(): Command {
  return withKubeFlags(new Command('run'))
    .description(
      'run the operator: reconcile IstioOperator resources until stopped (SIGTERM/Ctrl-C)',
    )
    .option(
      '--watch-namespaces <a,b>',
      'reconcile IstioOperators only in these namespaces (default: all)',
    )
    .addOption(
      new Option('--workers <n>', 'IstioOperators reconciled in parallel')
        .argParser(parseWorkers)
        .default(4),
    )
    .option(
      '--metrics-addr <addr>',
      'serve Prometheus metrics on this address (empty: off)',
      ':8383',
    )
    .option(
      '--health-addr <addr>',
      'serve /healthz and /readyz on this address (empty: off)',
      ':8081',
    )
    .addOption(
      new Option(
        '--shutdown-timeout <seconds>',
        'how long in-flight reconciles may take at SIGTERM',
      )
        .argParser((v: string) => {
          const n = Number(v);
          if (!Number.isFinite(n) || n <= 0)
            throw new UserError(`--shutdown-timeout: "${v}" is not a number of seconds`);
          return n * 1000;
        })
        .default(30_000, '30'),
    )
    .option(
      '--leader-elect',
      'run workers only while holding the leader Lease (for more than one replica)',
      false,
    )
    .option(
      '--leader-election-namespace <ns>',
      "namespace of the operator's Leases: the leader Lease and the revision claims (default: the pod namespace, else istio-operator)",
    )
    .option(
      '--leader-election-id <name>',
      'name of the leader Lease (default istio-operator-leader, or istio-operator-<revision>-leader)',
    )
    .option(
      '--revision <rev>',
      'reconcile only IstioOperators with this spec.revision ("default": those without one) and claim it; ' +
        'without it the operator reconciles every revision that has no operator of its own',
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  istio-operator run --kubeconfig ~/.kube/config\n' +
        '  istio-operator run --watch-namespaces istio-system,istio-ingress --workers 2\n' +
        '  istio-operator run --log-format json --metrics-addr 127.0.0.1:8383\n' +
        '  istio-operator run --leader-elect --leader-election-namespace istio-operator\n' +
        '  istio-operator run --revision canary   # only spec.revision: canary; the others leave it alone\n',
    )
    .action(async (opts: RunOptions) => {
      // A long-lived process whose live data is small (300 IstioOperators and
      // their 2100 objects cached fit in a 64 MiB heap) but which V8 lets grow
      // lazily: 163–187 MiB at the peak of bench/scale without this, 115 MiB
      // with it, at the same speed. V8 reads this flag's heuristics (heap
      // growth, when to collect) as it runs, so setting it here works however
      // the process was started (container, Helm, `npm start`); node flags on
      // the command line would depend on the launcher. See docs/benchmarks.md.
      setFlagsFromString('--optimize-for-size');
      // Loaded here, not at start-up: the Kubernetes client costs ~0.4 s to import,
      // which offline commands should not pay.
      const [{ Operator, ListenError }, { parseAddr }] = await Promise.all([
        import('../../controller/operator.js'),
        import('../../runtime/probes.js'),
      ]);
      const kc = await loadKubeAccess(opts);
      const watchNamespaces = opts.watchNamespaces
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      let health;
      let metrics;
      try {
        if (opts.healthAddr) health = parseAddr(opts.healthAddr, '--health-addr');
        if (opts.metricsAddr) metrics = parseAddr(opts.metricsAddr, '--metrics-addr');
      } catch (err) {
        throw new UserError((err as Error).message);
      }
      const leaseNamespace = opts.leaderElectionNamespace || defaultLeaseNamespace();
      const operator = new Operator({
        kubeConfig: kc,
        ...(watchNamespaces ? { watchNamespaces } : {}),
        ...(opts.revision ? { revision: opts.revision } : {}),
        claimNamespace: leaseNamespace,
        workers: opts.workers,
        ...(health ? { health } : {}),
        ...(metrics ? { metrics } : {}),
        ...(opts.leaderElect
          ? {
              leaderElection: {
                namespace: leaseNamespace,
                name:
                  opts.leaderElectionId ??
                  (opts.revision
                    ? `istio-operator-${opts.revision}-leader`
                    : 'istio-operator-leader'),
                // As controller-runtime: a replica that may no longer lead must not
                // reconcile another moment; exit and let the Deployment restart it.
                onLost: () => {
                  logger.error('leader election lost: exiting');
                  process.exit(1);
                },
              },
            }
          : {}),
      });
      const elector = operator.elector;
      logger.info('starting istio-operator', {
        version: OPERATOR_VERSION,
        istio: ISTIO_VERSION,
        server: kc.getCurrentCluster()?.server,
        watchNamespaces: watchNamespaces ?? 'all',
        revisions: opts.revision ?? 'all without an operator of their own',
        workers: opts.workers,
        ...(elector
          ? {
              leaderElection: `${leaseNamespace}/${elector.name}`,
              identity: elector.identity,
            }
          : {}),
      });
      const stopped = new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          logger.info('stopping: finishing in-flight reconciles', { signal });
          // A second signal means: stop now.
          process.once(signal, () => process.exit(1));
          void operator.stop(opts.shutdownTimeout).then((r) => {
            if (r === 'timeout') {
              logger.error(
                'in-flight reconciles did not finish in time; exiting without releasing the Lease',
                { timeoutMs: opts.shutdownTimeout },
              );
              process.exit(1);
            }
            resolve();
          });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      // Without the CRD the operator still starts and waits for it (its
      // informer lists once the CRD is Established), but say so: otherwise it
      // just sits there.
      await warnIfCrdMissing(operator.manager.client, watchNamespaces?.[0]);
      try {
        await operator.start();
      } catch (err) {
        if (err instanceof ListenError) throw new UserError(err.message);
        throw err;
      }
      await stopped;
      logger.info('stopped');
    });
}
