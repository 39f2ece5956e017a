import { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import yaml from 'js-yaml';
import { operatorObjects, type InstallOptions } from '../../install/objects.js';
import type { K8sObject } from '../../render/object.js';
import { toJsonList, toYamlDocuments } from '../../render/output.js';
import { UserError } from '../errors.js';
import { normalRevision, revisionOf } from '../../api/vocabulary.js';
import { parseDuration } from '../duration.js';
import { loadKubeAccess, withKubeFlags, type KubeFlags } from '../kube-flags.js';
import { outputOption } from '../output-flag.js';

interface CommonOpts {
  hub?: string;
  tag?: string;
  image?: string;
  operatorNamespace: string;
  watchedNamespaces?: string;
  imagePullSecrets?: string;
  revision?: string;
}

const list = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

function installOptions(o: CommonOpts): InstallOptions {
  if (o.image && (o.hub || o.tag)) {
    throw new UserError(
      '--image names the whole image reference: use it instead of --hub/--tag, not with them',
    );
  }
  return {
    ...(o.image ? { image: o.image } : {}),
    ...(o.hub ? { hub: o.hub } : {}),
    ...(o.tag ? { tag: o.tag } : {}),
    operatorNamespace: o.operatorNamespace,
    watchedNamespaces: list(o.watchedNamespaces),
    imagePullSecrets: list(o.imagePullSecrets),
    ...(o.revision ? { revision: o.revision } : {}),
  };
}

function withInstallFlags(cmd: Command): Command {
  return cmd
    .option('--hub <registry>', 'registry of the operator image (default docker.io/istio-operator)')
    .option('--tag <tag>', "operator image tag (default: this CLI's version)")
    .option('--image <ref>', 'full operator image reference (instead of --hub/--tag)')
    .option('--operator-namespace <ns>', 'namespace the operator runs in', 'istio-operator')
    .option(
      '--watched-namespaces <a,b>',
      'namespaces whose IstioOperators it reconciles (default: all namespaces)',
    )
    .option('--image-pull-secrets <a,b>', 'pull secrets for the operator image')
    .option(
      '--revision <rev>',
      'an operator for IstioOperators with this spec.revision only ("default": those without one; objects named ' +
        'istio-operator-<rev>); without it the operator reconciles every revision that has no operator of its own',
    );
}

function print(objects: K8sObject[], output: string): void {
  process.stdout.write(output === 'json' ? toJsonList(objects) : toYamlDocuments(objects));
}

/** `istio-operator dump`: the objects `init` applies, as YAML or JSON. */
export function dumpCommand(): Command {
  return withInstallFlags(new Command('dump'))
    .description('print the objects `init` installs (namespaces, CRD, RBAC, Deployment, Service)')
    .addOption(outputOption())
    .addHelpText(
      'after',
      '\nExamples:\n  istio-operator dump > operator.yaml\n  istio-operator dump --watched-namespaces istio-system,istio-ingress -o json\n',
    )
    .action((o: CommonOpts & { output: string }) => {
      print(operatorObjects(installOptions(o)) as unknown as K8sObject[], o.output);
    });
}

interface InitOpts extends CommonOpts, KubeFlags {
  file?: string;
  dryRun?: boolean;
  wait?: boolean;
  timeout: string;
}

/**
 * Refuses `-f` with an IstioOperator the operator being installed would
 * never reconcile (another namespace, another revision): it would sit there
 * without status and without a word from the operator.
 */
function checkWatched(iop: unknown, opts: InstallOptions): void {
  const meta = (iop as { metadata?: { namespace?: string; name?: string } } | undefined)?.metadata;
  if (!iop || !meta) return;
  const ns = meta.namespace ?? 'default';
  const watched = opts.watchedNamespaces ?? [];
  if (watched.length > 0 && !watched.includes(ns)) {
    throw new UserError(
      `-f: IstioOperator ${ns}/${meta.name ?? ''} is in namespace ${ns}, which the operator will not watch ` +
        `(--watched-namespaces ${watched.join(',')}): add ${ns}, or leave the flag out to watch all namespaces`,
    );
  }
  // Without --revision the operator reconciles every revision.
  if (opts.revision === undefined) return;
  const rev = revisionOf(iop as { spec?: { revision?: string } });
  const mine = normalRevision(opts.revision);
  if (rev !== mine) {
    throw new UserError(
      `-f: IstioOperator ${ns}/${meta.name ?? ''} has ${rev ? `spec.revision "${rev}"` : 'no spec.revision'}, but this operator reconciles ` +
        `${mine ? `revision "${mine}"` : 'IstioOperators without a revision'} only: ` +
        `pass --revision ${rev || 'default'}, or leave --revision out for an operator of every revision`,
    );
  }
}

const step = (line: string) => process.stderr.write(`• ${line}\n`);

/** `istio-operator init`: install (or upgrade in place) the operator into a cluster. */
export function initCommand(): Command {
  return withKubeFlags(withInstallFlags(new Command('init')))
    .description('install the operator into a cluster, or upgrade it in place (idempotent)')
    .option(
      '-f, --file <iop.yaml>',
      'apply this IstioOperator once the operator is ready (implies --wait)',
    )
    .option('--dry-run', 'print what would be applied instead of applying it')
    .option('--wait', 'wait until the operator Deployment is available, showing progress')
    .option('--timeout <duration>', 'how long --wait waits', '5m')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  istio-operator init\n' +
        '  istio-operator init --watched-namespaces istio-system,istio-ingress --wait\n' +
        '  istio-operator init --image registry.example.com/istio-operator:0.1.0 -f control-plane.yaml\n' +
        '  istio-operator init --dry-run > operator.yaml\n',
    )
    .action(async (o: InitOpts) => {
      const objects = operatorObjects(installOptions(o));
      const timeoutMs = parseDuration(o.timeout);
      let iop: unknown;
      if (o.file) {
        try {
          iop = yaml.load(await readFile(o.file, 'utf8'));
        } catch (err) {
          throw new UserError(`-f ${o.file}: ${(err as Error).message}`);
        }
      }
      checkWatched(iop, installOptions(o));
      if (o.dryRun) {
        print(objects as unknown as K8sObject[], 'yaml');
        return;
      }
      // Loaded only here: the Kubernetes client is slow to import.
      const { installOperator } = await import('../../install/installer.js');
      const kc = await loadKubeAccess(o);
      try {
        await installOperator(kc, objects, {
          wait: o.wait === true || iop !== undefined,
          timeoutMs,
          onProgress: step,
          ...(iop ? { istioOperator: iop } : {}),
        });
      } catch (err) {
        throw new UserError(`init failed: ${(err as Error).message}`);
      }
    });
}

interface RemoveOpts extends KubeFlags {
  operatorNamespace: string;
  purge?: boolean;
  uninstallIstio?: boolean;
  revision?: string;
  yes?: boolean;
  timeout: string;
}

/**
 * `istio-operator remove`: uninstall the operator. Istio keeps running unless
 * `--uninstall-istio` says otherwise; `--purge` deletes the CRD after
 * releasing every IstioOperator, so nothing is uninstalled by it.
 */
export function removeCommand(): Command {
  return withKubeFlags(new Command('remove'))
    .description(
      'remove the operator: its Deployment, RBAC, ServiceAccount and Service.\n' +
        'The Istio installation it manages keeps running (no longer reconciled), and the\n' +
        'IstioOperators and their CRD stay. --purge also deletes the CRD and every IstioOperator,\n' +
        'releasing them first so that nothing is uninstalled; --uninstall-istio uninstalls\n' +
        'Istio first (deletes every IstioOperator and waits until what it installed is gone)',
    )
    .option('--operator-namespace <ns>', 'namespace the operator runs in', 'istio-operator')
    .option(
      '--purge',
      'also delete the IstioOperator CRD and every IstioOperator (released first: Istio keeps running)',
    )
    .option(
      '--uninstall-istio',
      'uninstall Istio first: delete the IstioOperators and wait until everything they installed is gone',
    )
    .option('--revision <rev>', 'remove the operator of this revision (istio-operator-<rev>) only')
    .option('--timeout <duration>', 'how long to wait for each step', '5m')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  istio-operator remove                          # the operator only; Istio keeps running\n' +
        '  istio-operator remove --purge -y               # also the CRD; Istio keeps running, unmanaged\n' +
        '  istio-operator remove --uninstall-istio --purge # uninstall Istio, then remove everything\n',
    )
    .action(async (o: RemoveOpts) => {
      if (o.purge && o.revision) {
        throw new UserError(
          '--purge deletes the CRD every revision shares: use it without --revision',
        );
      }
      const timeoutMs = parseDuration(o.timeout);
      const { planRemoval, describeRemoval, removeOperator } =
        await import('../../install/installer.js');
      const kc = await loadKubeAccess(o);
      const objects = operatorObjects({
        operatorNamespace: o.operatorNamespace,
        ...(o.revision ? { revision: o.revision } : {}),
      });
      let plan;
      try {
        plan = await planRemoval(kc, objects, {
          purge: o.purge === true,
          uninstallIstio: o.uninstallIstio === true,
          ...(o.revision ? { revision: o.revision } : {}),
        });
      } catch (err) {
        throw new UserError(`remove: ${(err as Error).message}`);
      }
      process.stderr.write(describeRemoval(plan));
      if (!o.yes) {
        if (!process.stdin.isTTY) throw new UserError('not a terminal: pass -y to confirm');
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await rl.question('Proceed? [y/N] ');
        rl.close();
        if (!/^y(es)?$/i.test(answer.trim())) throw new UserError('aborted');
      }
      try {
        const removed = await removeOperator(kc, objects, plan, { timeoutMs, onProgress: step });
        process.stdout.write(
          removed.length ? `removed ${removed.join(', ')}\n` : 'nothing to remove\n',
        );
      } catch (err) {
        throw new UserError(`remove failed: ${(err as Error).message}`);
      }
    });
}
