import { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { IstioOperator } from '../../api/types.js';
import type { LocalIstiod } from '../../cluster/istiod.js';
import { chooseRelease, minorOfTag } from '../../api/release.js';
import { RESTART_WORKLOADS_ANNOTATION } from '../../api/vocabulary.js';
import { RELEASES } from '../../releases/catalog.js';
import { defaultClusterDir } from '../../cluster/dirs.js';
import { configureLogger } from '../../log/logger.js';
import { formatStatus, statusRows } from '../status-table.js';
import { UserError } from '../errors.js';
import { loadKubeAccess, withKubeFlags, type KubeFlags } from '../kube-flags.js';

/**
 * The closing hint's upgrade: the control plane's line to the next one
 * (1.30.8 → 1.31.4 for the demo file), a real upgrade from the next line's
 * templates; nothing when it already runs the newest.
 */
export function upgradeHint(docs: IstioOperator[]): string {
  const cp = docs.find((d) => !d.spec?.revision) ?? docs[0];
  const release = cp ? chooseRelease(cp).release : undefined;
  const next = release ? RELEASES[RELEASES.indexOf(release) + 1] : undefined;
  if (!cp || !next) return '';
  const ns = cp.metadata?.namespace ?? 'istio-system';
  return (
    `  kubectl -n ${ns} patch iop ${cp.metadata?.name ?? ''} --type merge -p '{"spec":{"tag":"${next.patch}"}}'` +
    `   # upgrade Istio ${release!.minor} to ${next.minor}, from ${next.minor}'s own templates (docs/upgrades.md)\n`
  );
}

/**
 * After the upgrade hint and an injected workload: where the stale proxy
 * shows, and the opt-in that has the operator restart it.
 */
export function restartHint(docs: IstioOperator[]): string {
  const cp = docs.find((d) => !d.spec?.revision) ?? docs[0];
  if (!cp) return '';
  const ns = cp.metadata?.namespace ?? 'istio-system';
  return (
    `  npx istio-operator status   # after the upgrade: demo/web still runs the old proxy
` +
    `  kubectl -n ${ns} annotate iop ${cp.metadata?.name ?? ''} ${RESTART_WORKLOADS_ANNOTATION}=batch=1` +
    `   # the operator restarts it with the new proxy (docs/upgrades.md)
`
  );
}

const DEMO_FILE = fileURLToPath(new URL('../../../examples/demo.yaml', import.meta.url));

/** A local istiod the demo runs, and the Istio version of the Deployment it stands in for. */
interface LocalIstiodRun {
  istiod: LocalIstiod;
  version: string;
}

interface DemoOpts extends KubeFlags {
  dir: string;
  file: string;
  istiod: boolean;
}

const say = (line: string) => process.stderr.write(`• ${line}\n`);

/**
 * `istio-operator demo` (what `npm start` runs): a local control plane with
 * kwok nodes (or the cluster of --kubeconfig / $KUBECONFIG), the CRD, the
 * operator in this process, and the demo IstioOperators, with a live view
 * until Ctrl-C, which tears everything down.
 */
export function demoCommand(): Command {
  return withKubeFlags(
    new Command('demo'),
    'use this cluster instead of a local control plane (also: $KUBECONFIG)',
  )
    .description(
      'run the operator on a local control plane (or your cluster) with the demo IstioOperators,\n' +
        'showing each one move to HEALTHY; keeps running until Ctrl-C, which tears it all down',
    )
    .option(
      '--dir <dir>',
      'folder of the local control plane',
      join(defaultClusterDir(), '..', 'demo'),
    )
    .option('-f, --file <file>', 'IstioOperators to apply (multi-document YAML)', DEMO_FILE)
    .option(
      '--no-istiod',
      'on the local control plane, do not run the real istiod (pilot-discovery, built on first use)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  npm start\n  istio-operator demo --kubeconfig ~/.kube/config\n',
    )
    .action(async (o: DemoOpts) => {
      configureLogger({ level: 'warn' });
      let docs: IstioOperator[];
      try {
        docs = (yaml.loadAll(await readFile(o.file, 'utf8')) as IstioOperator[]).filter(Boolean);
      } catch (err) {
        throw new UserError(`-f ${o.file}: ${(err as Error).message}`);
      }
      const [
        { startControlPlane },
        { KubeClient },
        { Operator },
        { istioOperatorCrd },
        { waitFor },
        { LABELS, IOP_RESOURCE },
        { startLocalIstiod },
        { pilotDiscoveryFor, ISTIO_BINARY_LINES },
      ] = await Promise.all([
        import('../../cluster/controlplane.js'),
        import('../../kube/client.js'),
        import('../../controller/operator.js'),
        import('../../api/schema/crd.js'),
        import('../../cluster/health.js'),
        import('../../api/vocabulary.js'),
        import('../../cluster/istiod.js'),
        import('../../cluster/binaries.js'),
      ]);
      const external = o.kubeconfig ?? process.env.KUBECONFIG;
      const cp = external
        ? undefined
        : await startControlPlane({ dir: resolve(o.dir), mode: 'full', onProgress: say }).catch(
            (err: unknown) => {
              throw new UserError(`starting the local control plane: ${(err as Error).message}`);
            },
          );
      const kc = cp
        ? cp.kubeConfig()
        : // A missing or unreadable kubeconfig is the user's to fix: an error naming it, not a stack trace.
          await loadKubeAccess({
            ...(external ? { kubeconfig: external } : {}),
            ...(o.context ? { context: o.context } : {}),
          });
      const kubeconfigPath = cp?.kubeconfig ?? external!;
      const client = new KubeClient(kc);
      const operator = new Operator({ kubeConfig: kc, requeueWhileRollingMs: 1000 });
      const manager = operator.manager;
      let stopping = false;
      // The real istiod of each control plane the operator installed (kwok
      // runs no pods), of the line that control plane runs: so a labelled
      // namespace really gets its pods injected, and after an upgrade the
      // new line's istiod takes over.
      const istiods = new Map<string, LocalIstiodRun>();
      const skipped = new Set<string>();
      const wantIstiods = !!cp && o.istiod;
      let syncing = false;
      // The closing hint waits for the first sync (so it can say whether istiod injects).
      let synced = !wantIstiods;
      const syncIstiods = async () => {
        const deployments = await client.list(
          { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
          undefined,
          'app=istiod',
        );
        const seen = new Set<string>();
        for (const d of deployments) {
          const key = `${d.metadata!.namespace}/${d.metadata!.name}`;
          seen.add(key);
          const rev = d.metadata?.labels?.['istio.io/rev'] ?? 'default';
          const version = d.metadata?.labels?.[LABELS.version] ?? '';
          const line = minorOfTag(version) ?? '';
          const running = istiods.get(key);
          if (running?.version === version) continue;
          if (!pilotDiscoveryFor(line)) {
            if (!skipped.has(`${key}@${version}`)) {
              skipped.add(`${key}@${version}`);
              say(
                `istiod ${key} runs Istio ${version}: no pilot-discovery of ${line} can be built here ` +
                  `(the Go module proxy serves ${ISTIO_BINARY_LINES.join(', ')}), so it is not started`,
              );
            }
            continue;
          }
          if (running) {
            say(`istiod ${key} moved from Istio ${running.version} to ${version}: restarting it`);
            istiods.delete(key);
            await running.istiod.stop().catch(() => {});
          }
          // startLocalIstiod runs the pilot-discovery of the Deployment's line.
          const i = await startLocalIstiod({
            kubeConfig: cp!.kubeConfig(),
            controlPlaneDir: cp!.dir,
            namespace: d.metadata!.namespace!,
            revision: rev === 'default' ? '' : rev,
            onProgress: say,
          });
          if (stopping) return void (await i.stop());
          istiods.set(key, { istiod: i, version });
          say(
            `istiod ${key} is the real pilot-discovery ${line} (Istio ${version}; pid ${i.pid}, log ${i.log})`,
          );
        }
        for (const [key, run] of istiods) {
          if (seen.has(key)) continue;
          say(`istiod ${key} was removed: stopping it`);
          istiods.delete(key);
          await run.istiod.stop().catch(() => {});
        }
      };
      const teardown = async (code: number) => {
        if (stopping) return;
        stopping = true;
        for (const [key, run] of istiods) {
          say(`stopping istiod ${key}`);
          await run.istiod.stop().catch(() => {});
        }
        say('stopping the operator');
        await operator.stop().catch(() => {});
        if (cp) {
          say(`stopping the local control plane in ${cp.dir}`);
          await cp.stop();
        }
        process.exit(code);
      };
      // Shutdown must not depend on the terminal: with `npm start | tee log`,
      // Ctrl-C ends tee too (writes then fail with EPIPE) and npm passes the
      // signal on, so it arrives twice. Output errors are ignored, repeated
      // signals wait for the teardown already running, and if the process
      // dies anyway the control plane's processes die with it.
      for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
        process.on(signal, () => void teardown(0));
      }
      process.on('exit', () => cp?.killNow());

      say(`cluster: ${kc.getCurrentCluster()?.server}`);
      await client.apply(istioOperatorCrd() as unknown as KubernetesObject);
      await waitFor(
        'IstioOperator CRD Established',
        async () =>
          !!(
            (await client.get({
              apiVersion: 'apiextensions.k8s.io/v1',
              kind: 'CustomResourceDefinition',
              metadata: { name: 'istiooperators.install.istio.io' },
            })) as {
              status?: { conditions?: { type: string; status: string }[] };
            }
          ).status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'),
        60_000,
      );
      say('installed the IstioOperator CRD');
      await operator.start();
      say('the operator is running');
      const started = Date.now();
      for (const d of docs) {
        const ns = d.metadata.namespace ?? 'default';
        await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
        await client.apply(d as unknown as KubernetesObject);
        say(`applied IstioOperator ${ns}/${d.metadata.name}`);
      }

      // Live view: redraw when anything shown changes.
      let shown = '';
      let announced = false;
      let healthyAfter: number | undefined;
      const draw = async () => {
        const iops = (await client.list(IOP_RESOURCE)) as unknown as IstioOperator[];
        const counts = new Map<string, Map<string, number>>();
        for (const i of iops) {
          const m = new Map<string, number>();
          for (const obj of manager.live.ownedBy({
            name: i.metadata.name!,
            namespace: i.metadata.namespace!,
          })) {
            const c = obj.metadata?.labels?.[LABELS.component];
            if (c) m.set(c, (m.get(c) ?? 0) + 1);
          }
          counts.set(`${i.metadata.namespace}/${i.metadata.name}`, m);
        }
        const view = formatStatus(statusRows(iops, counts));
        if (view !== shown) {
          shown = view;
          process.stdout.write(`\n[${((Date.now() - started) / 1000).toFixed(1)}s]\n${view}`);
        }
        const healthy =
          iops.length >= docs.length && iops.every((i) => i.status?.status === 'HEALTHY');
        if (healthy) healthyAfter ??= (Date.now() - started) / 1000;
        // Every HEALTHY moment (one sync at a time, in the background so the
        // view keeps drawing): start, restart or stop local istiods so they
        // follow the Deployments, e.g. after an upgrade to another line.
        if (healthy && wantIstiods && !syncing) {
          syncing = true;
          void syncIstiods()
            .catch((err: unknown) =>
              say(`the real istiod did not start: ${(err as Error).message}`),
            )
            .finally(() => {
              syncing = false;
              synced = true;
            });
        }
        if (!announced && healthy && synced) {
          announced = true;
          const inject = [...istiods.values()].some(
            (r) => r.istiod.namespace === 'istio-system' && !r.istiod.revision,
          )
            ? `  kubectl create namespace demo && kubectl label namespace demo istio-injection=enabled\n` +
              `  kubectl -n demo create deployment web --image=nginx\n` +
              `  kubectl -n demo get pods -o jsonpath='{.items[*].spec.containers[*].image}'   # nginx …/proxyv2:<version>: injected by the real istiod\n`
            : '';
          process.stdout.write(
            `\nAll ${iops.length} IstioOperators are HEALTHY after ${healthyAfter!.toFixed(1)}s.\n` +
              `In another terminal:\n  export KUBECONFIG=${kubeconfigPath}\n  kubectl get iop -A\n` +
              `  kubectl edit iop -n istio-system control-plane   # and watch the operator react here\n` +
              `  npx istio-operator status                        # the same table, without kubectl\n` +
              upgradeHint(docs) +
              inject +
              (inject && upgradeHint(docs) ? restartHint(docs) : '') +
              `Press Ctrl-C to stop${cp ? `${istiods.size ? ' istiod' : ''} and remove the local control plane` : ''}.\n`,
          );
        }
      };
      for (;;) {
        if (stopping) return;
        await draw().catch((err: unknown) => say(`status: ${(err as Error).message}`));
        await new Promise((r) => setTimeout(r, 500));
      }
    });
}
