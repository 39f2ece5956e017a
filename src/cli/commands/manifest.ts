import { Command, CommanderError, Option } from 'commander';
import { parseManifest } from '../../yaml/manifest.js';
import { diffManifests, formatDiff } from '../../diff/manifest.js';
import { sortObjects } from '../../render/order.js';
import { toJsonList, toYamlDocuments } from '../../render/output.js';
import type { ComponentName } from '../../translate/plan.js';
import type { K8sObject } from '../../render/object.js';
import { UserError } from '../errors.js';
import { printWarnings, readInputFiles } from '../input.js';
import { pipelineOrFail } from '../pipeline.js';
import { outputOption } from '../output-flag.js';

/** `--component` names accepted, spec key or internal name, lower-cased. */
const COMPONENT_ALIASES: Record<string, ComponentName> = {
  base: 'Base',
  pilot: 'Pilot',
  istiod: 'Pilot',
  cni: 'Cni',
  ztunnel: 'Ztunnel',
  ingressgateways: 'IngressGateways',
  egressgateways: 'EgressGateways',
};

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function parseComponent(name: string): ComponentName {
  const c = COMPONENT_ALIASES[name.toLowerCase()];
  if (!c) {
    throw new UserError(
      `--component ${name}: unknown component ` +
        '(use base, pilot, cni, ztunnel, ingressGateways or egressGateways)',
    );
  }
  return c;
}

interface GenerateOpts {
  filename: string[];
  set: string[];
  revision?: string;
  manifests?: string;
  component: string[];
  output: 'yaml' | 'json';
}

/**
 * Renders the objects for files + flags (the same merge, flags and errors
 * as `profile dump`), mapping every user mistake to a UserError.
 */
async function generateManifestText(opts: GenerateOpts): Promise<string> {
  const wanted = new Set(opts.component.map(parseComponent));
  const set = [...opts.set];
  if (opts.revision !== undefined && opts.revision !== 'default') {
    set.push(`revision=${opts.revision}`);
  }
  if (opts.manifests !== undefined) set.push(`installPackagePath=${opts.manifests}`);
  const { manifest } = pipelineOrFail(
    { files: await readInputFiles(opts.filename), set },
    { onWarnings: printWarnings },
  );
  const objects = wanted.size
    ? sortObjects(
        manifest.components.filter((c) => wanted.has(c.component)).flatMap((c) => c.objects),
      )
    : manifest.objects;
  return opts.output === 'json' ? toJsonList(objects) : toYamlDocuments(objects);
}

async function readManifest(path: string): Promise<K8sObject[]> {
  const [file] = await readInputFiles([path]);
  try {
    return parseManifest(file!.content, path);
  } catch (err) {
    throw new UserError(err instanceof Error ? err.message : String(err));
  }
}

/**
 * `istio-operator manifest generate|diff`: render the Kubernetes objects an
 * IstioOperator stands for, offline (for GitOps and review), and compare
 * two rendered manifests object by object.
 */
export function manifestCommand(): Command {
  const manifest = new Command('manifest').description(
    'render the Kubernetes objects of an IstioOperator, and compare manifests',
  );
  manifest
    .command('generate')
    .description('print the objects the operator would apply for the given IstioOperator')
    .addOption(
      new Option(
        '-f, --filename <file>',
        'IstioOperator file, repeatable; later files win; - for stdin',
      )
        .argParser(collect)
        .default([]),
    )
    .addOption(
      new Option(
        '-s, --set <path=value>',
        'override a spec field, e.g. values.global.logAsJson=true',
      )
        .argParser(collect)
        .default([]),
    )
    .option('-r, --revision <revision>', 'control plane revision (same as --set revision=REVISION)')
    .option(
      '-d, --manifests <path>',
      'not supported by this operator (same as --set installPackagePath=PATH)',
    )
    .addOption(
      new Option(
        '--component <name>',
        'only this component (base, pilot, cni, ztunnel, ingressGateways, egressGateways); repeatable',
      )
        .argParser(collect)
        .default([]),
    )
    .addOption(outputOption())
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  istio-operator manifest generate\n' +
        '  istio-operator manifest generate --set profile=demo\n' +
        '  istio-operator manifest generate -f my-iop.yaml --set revision=canary\n' +
        '  istio-operator manifest generate -f my-iop.yaml --component pilot -o json\n',
    )
    .action(async (opts: GenerateOpts) => {
      process.stdout.write(await generateManifestText(opts));
    });
  manifest
    .command('diff')
    .description(
      'compare two manifests by object (added, removed, changed fields); exit 1 when they differ',
    )
    .argument('<a>', 'the old manifest (YAML, multi-document)')
    .argument('<b>', 'the new manifest')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  istio-operator manifest generate > old.yaml\n' +
        '  istio-operator manifest generate --set profile=demo > new.yaml\n' +
        '  istio-operator manifest diff old.yaml new.yaml\n',
    )
    .action(async (a: string, b: string) => {
      const d = diffManifests(await readManifest(a), await readManifest(b));
      const text = formatDiff(d);
      if (!text) {
        process.stdout.write('the manifests are identical\n');
        return;
      }
      process.stdout.write(text);
      process.stdout.write(
        `${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed\n`,
      );
      // Exit 1 like diff(1), without an error message: the diff is the output.
      throw new CommanderError(1, 'manifest.diff.differs', '');
    });
  return manifest;
}
