import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import type { ControlPlaneMode } from '../../cluster/controlplane.js';
import { defaultClusterDir } from '../../cluster/dirs.js';

/**
 * The control-plane module pulls in the Kubernetes client and the X.509
 * library (about half a second); load it only when a cluster command runs,
 * so `manifest generate` and friends start fast.
 */
const controlPlane = () => import('../../cluster/controlplane.js');
import { ensureBinaries, FULL_BINARIES, type BinaryName } from '../../cluster/binaries.js';
import { UserError } from '../errors.js';
import { outputOption } from '../output-flag.js';

const BUILDABLE: readonly BinaryName[] = [
  ...FULL_BINARIES,
  'kubectl',
  'istioctl',
  'pilot-discovery',
  'istioctl-1.30',
  'pilot-discovery-1.30',
  'istioctl-1.31',
  'pilot-discovery-1.31',
  'kstatus',
  'gateway-render',
  'helm',
];

function progressLine(line: string): void {
  process.stderr.write(`• ${line}\n`);
}

function parseNodes(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 100) {
    throw new UserError(`--nodes: "${v}" is not a node count (use a whole number from 1 to 100)`);
  }
  return n;
}

/**
 * `istio-operator cluster up|down|status`: a real Kubernetes control plane on
 * loopback, built from pinned Go modules, for tests, benchmarks and demos.
 */
export function clusterCommand(): Command {
  const cluster = new Command('cluster').description(
    'run a local Kubernetes control plane (etcd, kube-apiserver, and in full mode\n' +
      'kube-controller-manager, kube-scheduler and kwok fake nodes) on loopback',
  );
  const dirOption = () =>
    new Option(
      '--dir <dir>',
      'folder for its state, certificates, data, logs and kubeconfig',
    ).default(defaultClusterDir(), '$XDG_STATE_HOME/istio-operator/cluster');

  cluster
    .command('up')
    .description(
      'start a local control plane and write its kubeconfig (builds binaries on first use)',
    )
    .addOption(dirOption())
    .option('--minimal', 'start only etcd and kube-apiserver (fast; nothing runs workloads)')
    .addOption(
      new Option('--nodes <n>', 'fake kwok nodes (full mode)').argParser(parseNodes).default(1),
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  istio-operator cluster up\n' +
        '  istio-operator cluster up --minimal --dir /tmp/cp1\n' +
        '  eval "$(istio-operator cluster up --dir /tmp/cp2 | grep ^export)"\n',
    )
    .action(async (opts: { dir: string; minimal?: boolean; nodes: number }) => {
      const dir = resolve(opts.dir);
      const mode: ControlPlaneMode = opts.minimal ? 'minimal' : 'full';
      let cp;
      try {
        cp = await (
          await controlPlane()
        ).startControlPlane({ dir, mode, nodes: opts.nodes, onProgress: progressLine });
      } catch (err) {
        throw new UserError(`cluster up failed: ${(err as Error).message}`);
      }
      process.stdout.write(
        `Kubernetes ${cp.kubernetesVersion} (${cp.mode}) is running at ${cp.server}\n` +
          `kubeconfig: ${cp.kubeconfig}\n` +
          `export KUBECONFIG=${cp.kubeconfig}\n`,
      );
    });

  cluster
    .command('build')
    .description(
      'build (or find) the control-plane binaries and print their paths; `up` does this\n' +
        'on demand, this lets CI and first-time users do it up front',
    )
    .argument('[names...]', `binaries to build: ${BUILDABLE.join(', ')}`, [
      ...FULL_BINARIES,
      'kubectl',
    ])
    .addHelpText(
      'after',
      '\nBinaries are cached in $XDG_CACHE_HOME/istio-operator/bin/<module>-<version>-<hash>/;\n' +
        'with KUBEBUILDER_ASSETS set, binaries found there are used instead.\n' +
        '\nistioctl and pilot-discovery are Istio 1.27; istioctl-1.30, pilot-discovery-1.30,\n' +
        'istioctl-1.31 and pilot-discovery-1.31 those of the later lines (tools/istio-<line>).\n' +
        '\nExamples:\n  istio-operator cluster build\n  istio-operator cluster build etcd kube-apiserver istioctl\n' +
        '  istio-operator cluster build istioctl-1.30 pilot-discovery-1.30\n',
    )
    .action(async (names: string[]) => {
      const unknown = names.filter((n) => !(BUILDABLE as readonly string[]).includes(n));
      if (unknown.length > 0) {
        throw new UserError(
          `unknown binary ${unknown.join(', ')} (choose from ${BUILDABLE.join(', ')})`,
        );
      }
      let paths;
      try {
        paths = await ensureBinaries(names as BinaryName[], { onProgress: progressLine });
      } catch (err) {
        throw new UserError((err as Error).message);
      }
      for (const n of names) process.stdout.write(`${n}\t${paths[n as BinaryName]}\n`);
    });

  cluster
    .command('down')
    .description('stop every process of a local control plane and remove its data')
    .addOption(dirOption())
    .addHelpText(
      'after',
      '\nExamples:\n  istio-operator cluster down\n  istio-operator cluster down --dir /tmp/cp1\n',
    )
    .action(async (opts: { dir: string }) => {
      const dir = resolve(opts.dir);
      const { controlPlaneStatus, stopControlPlane } = await controlPlane();
      const status = await controlPlaneStatus(dir);
      await stopControlPlane(dir);
      process.stdout.write(
        status.state
          ? `stopped ${status.processes.length} process(es) and removed the data in ${dir}\n`
          : `no control plane in ${dir}; nothing to do\n`,
      );
    });

  cluster
    .command('status')
    .description('say what runs in a local control plane folder (exit 1 unless healthy)')
    .addOption(dirOption())
    .addOption(outputOption(['text', 'json']))
    .addHelpText(
      'after',
      '\nExamples:\n  istio-operator cluster status\n  istio-operator cluster status -o json\n',
    )
    .action(async (opts: { dir: string; output: 'text' | 'json' }) => {
      const dir = resolve(opts.dir);
      const st = await (await controlPlane()).controlPlaneStatus(dir);
      if (opts.output === 'json') {
        process.stdout.write(
          JSON.stringify(
            {
              dir,
              healthy: st.healthy,
              mode: st.state?.mode,
              server: st.state?.server,
              kubeconfig: st.state?.kubeconfig,
              processes: st.processes,
            },
            null,
            2,
          ) + '\n',
        );
      } else if (!st.state) {
        process.stdout.write(`no control plane in ${dir}\n`);
      } else {
        process.stdout.write(
          `${st.healthy ? 'healthy' : 'NOT healthy'}: ${st.state.mode} control plane in ${dir}\n` +
            `server:     ${st.state.server}\nkubeconfig: ${st.state.kubeconfig}\n` +
            st.processes
              .map(
                (p) =>
                  `  ${p.name.padEnd(24)} pid ${String(p.pid).padEnd(8)} ${p.running ? 'running' : 'stopped'}`,
              )
              .join('\n') +
            '\n',
        );
      }
      if (!st.healthy) process.exitCode = 1;
    });

  return cluster;
}
