import { Command } from 'commander';
import { createTwoFilesPatch } from 'diff';
import yaml from 'js-yaml';
import {
  isProfileName,
  parseSetPath,
  profileSummaries,
  SetFlagError,
  type GenerateResult,
} from '../../profiles/index.js';
import { UserError } from '../errors.js';
import { printWarnings, readInputFiles } from '../input.js';
import { pipelineOrFail } from '../pipeline.js';
import { outputOption } from '../output-flag.js';
import type { PipelineInput } from '../../pipeline/render-istio-operator.js';

/** Serialises an object as YAML or JSON for output. */
function serialize(value: unknown, format: 'yaml' | 'json'): string {
  return format === 'json'
    ? JSON.stringify(value, null, 2) + '\n'
    : yaml.dump(value, { noRefs: true, lineWidth: -1 });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function selectConfigPath(spec: unknown, path: string): unknown {
  let segments;
  try {
    segments = parseSetPath(path);
  } catch (err) {
    if (err instanceof SetFlagError) throw new UserError(`--config-path: ${err.message}`);
    throw err;
  }
  // The same path grammar as --set, read instead of written.
  let node: unknown = spec;
  for (const seg of segments) {
    if (seg.kind === 'key') {
      node =
        node !== null && typeof node === 'object' && !Array.isArray(node)
          ? (node as Record<string, unknown>)[seg.key]
          : undefined;
    } else if (Array.isArray(node)) {
      node =
        seg.kind === 'index'
          ? node[seg.index]
          : node.find(
              (e: unknown) =>
                e !== null &&
                typeof e === 'object' &&
                String((e as Record<string, unknown>)[seg.field]) === seg.value,
            );
    } else {
      node = undefined;
    }
    if (node === undefined) {
      throw new UserError(
        `--config-path ${path}: no such path in the merged spec (paths are relative to spec, e.g. components.pilot)`,
      );
    }
  }
  return node;
}

async function profileOrFile(arg: string): Promise<{ label: string; result: GenerateResult }> {
  const merge = (input: PipelineInput) => pipelineOrFail(input, { render: false });
  if (isProfileName(arg)) return { label: arg, result: merge({ profile: arg }) };
  if (arg.endsWith('.yaml') || arg.endsWith('.yml') || arg.endsWith('.json') || arg.includes('/')) {
    return { label: arg, result: merge({ files: await readInputFiles([arg]) }) };
  }
  // Let the merge produce the "unknown profile" message with the valid names.
  return { label: arg, result: merge({ profile: arg }) };
}

/**
 * `istio-operator profile list|dump|diff`: the built-in profiles and the
 * merged IstioOperator a set of files and flags produces.
 */
export function profileCommand(): Command {
  const profile = new Command('profile').description(
    'list, show and compare the built-in installation profiles',
  );

  profile
    .command('list')
    .description('list the built-in profiles')
    .addOption(outputOption(['text', 'yaml', 'json']))
    .addHelpText(
      'after',
      '\nExamples:\n  istio-operator profile list\n  istio-operator profile list -o json\n',
    )
    .action((opts: { output: 'text' | 'yaml' | 'json' }) => {
      const list = profileSummaries();
      if (opts.output === 'text') {
        const width = Math.max(...list.map((p) => p.name.length));
        process.stdout.write(
          'Istio configuration profiles:\n' +
            list.map((p) => `    ${p.name.padEnd(width)}  ${p.description}`).join('\n') +
            '\n',
        );
      } else {
        process.stdout.write(serialize({ profiles: list }, opts.output));
      }
    });

  profile
    .command('dump')
    .description(
      'print the merged IstioOperator: built-in profile < files (in order) < --set flags',
    )
    .argument('[profile]', 'built-in profile to start from (like --set profile=NAME)')
    .option(
      '-f, --filename <file>',
      'IstioOperator file to merge (repeatable; - is stdin)',
      collect,
      [],
    )
    .option(
      '-s, --set <path=value>',
      'override a spec field (repeatable), e.g. values.global.logAsJson=true',
      collect,
      [],
    )
    .option('-r, --revision <revision>', 'control plane revision (same as --set revision=REVISION)')
    .option(
      '-d, --manifests <path>',
      'not supported by this operator (same as --set installPackagePath=PATH)',
    )
    .option('--config-path <path>', 'print only this part of the spec, e.g. components.pilot')
    .addOption(outputOption())
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  istio-operator profile dump demo\n' +
        '  istio-operator profile dump -f my-iop.yaml --set values.global.logAsJson=true\n' +
        '  istio-operator profile dump ambient --config-path components.ztunnel -o json\n' +
        '  istio-operator profile dump -f base.yaml -f overrides.yaml -r canary\n',
    )
    .action(
      async (
        name: string | undefined,
        opts: {
          filename: string[];
          set: string[];
          revision?: string;
          manifests?: string;
          configPath?: string;
          output: 'yaml' | 'json';
        },
      ) => {
        const set = [...opts.set];
        if (opts.revision !== undefined && opts.revision !== 'default') {
          set.push(`revision=${opts.revision}`);
        }
        if (opts.manifests !== undefined) set.push(`installPackagePath=${opts.manifests}`);
        const files = await readInputFiles(opts.filename);
        const result = pipelineOrFail(
          { files, set, ...(name !== undefined ? { profile: name } : {}) },
          { render: false, onWarnings: printWarnings },
        );
        const out =
          opts.configPath !== undefined
            ? selectConfigPath(result.iop.spec, opts.configPath)
            : result.iop;
        process.stdout.write(serialize(out, opts.output));
      },
    );

  profile
    .command('diff')
    .description('show the differences between two profiles (names or IstioOperator files)')
    .argument('<a>', 'first profile name or file')
    .argument('<b>', 'second profile name or file')
    .addHelpText(
      'after',
      '\nExamples:\n  istio-operator profile diff default demo\n  istio-operator profile diff default ./my-iop.yaml\n',
    )
    .action(async (a: string, b: string) => {
      const left = await profileOrFile(a);
      const right = await profileOrFile(b);
      const l = serialize(left.result.iop, 'yaml');
      const r = serialize(right.result.iop, 'yaml');
      if (l === r) {
        process.stdout.write(`The profiles ${a} and ${b} are identical.\n`);
        return;
      }
      process.stdout.write(
        createTwoFilesPatch(left.label, right.label, l, r, undefined, undefined, { context: 3 }),
      );
    });

  return profile;
}
