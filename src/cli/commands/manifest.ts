import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { formatDiagnostic, IstioOperatorValidationError } from '../../api/errors.js';
import { generateIstioOperator } from '../../profiles/index.js';
import { diffManifests, formatDiff, parseManifest } from '../../render/diff.js';
import { renderManifest } from '../../render/manifest.js';
import { OverlayError } from '../../render/overlays.js';
import { sortObjects } from '../../render/order.js';
import { toJsonList, toYamlDocuments } from '../../render/output.js';
import type { ComponentName } from '../../translate/plan.js';
import { RenderInputError } from '../../translate/plan.js';
import { UserError } from '../errors.js';

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

function readInput(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      `-f ${path}: cannot read the file (${code ?? String(err)}); check the path`,
    );
  }
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
  component: string[];
  output: 'yaml' | 'json';
}

/** Renders the objects for files + flags, mapping every user mistake to a UserError. */
export function generateManifestText(opts: GenerateOpts): { text: string; warnings: string[] } {
  const wanted = new Set(opts.component.map(parseComponent));
  const files = opts.filename.map((f) => ({
    name: f === '-' ? '<stdin>' : f,
    content: readInput(f),
  }));
  let result;
  try {
    result = generateIstioOperator({ files, set: opts.set });
  } catch (err) {
    if (err instanceof IstioOperatorValidationError) throw new UserError(err.message);
    throw err;
  }
  let manifest;
  try {
    manifest = renderManifest(result.iop);
  } catch (err) {
    if (err instanceof OverlayError || err instanceof RenderInputError)
      throw new UserError(err.message);
    throw err;
  }
  const objects = wanted.size
    ? sortObjects(
        manifest.components.filter((c) => wanted.has(c.component)).flatMap((c) => c.objects),
      )
    : manifest.objects;
  return {
    text: opts.output === 'json' ? toJsonList(objects) : toYamlDocuments(objects),
    warnings: result.warnings.filter((d) => d.severity === 'warning').map(formatDiagnostic),
  };
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
    .addOption(
      new Option(
        '--component <name>',
        'only this component (base, pilot, cni, ztunnel, ingressGateways, egressGateways); repeatable',
      )
        .argParser(collect)
        .default([]),
    )
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['yaml', 'json'])
        .default('yaml'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  istio-operator manifest generate\n' +
        '  istio-operator manifest generate --set profile=demo\n' +
        '  istio-operator manifest generate -f my-iop.yaml --set revision=canary\n' +
        '  istio-operator manifest generate -f my-iop.yaml --component pilot -o json\n',
    )
    .action((opts: GenerateOpts) => {
      const { text, warnings } = generateManifestText(opts);
      for (const w of warnings) process.stderr.write(`${w}\n`);
      process.stdout.write(text);
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
    .action((a: string, b: string) => {
      const parse = (p: string) => {
        try {
          return parseManifest(readInput(p), p);
        } catch (err) {
          if (err instanceof UserError) throw err;
          throw new UserError(err instanceof Error ? err.message : String(err));
        }
      };
      const d = diffManifests(parse(a), parse(b));
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
