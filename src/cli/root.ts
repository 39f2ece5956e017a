import { Command, InvalidArgumentError, Option } from 'commander';
import { LOG_LEVELS, parseLogFormat, parseLogLevel } from '../log/logger.js';
import { OPERATOR_VERSION } from '../version.js';

/** The global flags every command accepts, as parsed by commander. */
export interface GlobalOptions {
  logFormat?: 'json' | 'text';
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
}

/** Global flags that take their value as the next argument. */
const FLAGS_WITH_VALUE = new Set(['--log-format', '--log-level']);

/**
 * The command name in the arguments after the script (`--log-level debug
 * status -A` → `status`), or undefined when a flag such as --help comes
 * first. bin/istio-operator.js has a copy, to route without loading any of
 * this.
 */
export function commandName(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (FLAGS_WITH_VALUE.has(a)) i++;
    else if (a.startsWith('--log-format=') || a.startsWith('--log-level=')) continue;
    else return a.startsWith('-') ? undefined : a;
  }
  return undefined;
}

/**
 * A flag parser whose errors are usage errors: commander prints them with
 * the flag and a hint to --help and exits 1, instead of main() treating the
 * plain Error as a bug (an "internal error" with a stack trace).
 */
function usage<T>(parse: (v: string) => T): (v: string) => T {
  return (v) => {
    try {
      return parse(v);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message.replace(/^--[a-z-]+: /, ''));
    }
  };
}

// Made once: the offline program and the full one must share the very same parsers.
const logFormatFlag = usage(parseLogFormat);
const logLevelFlag = usage(parseLogLevel);

/**
 * The `istio-operator` root command: description, `--version` and the global
 * flags, without subcommands. Shared by the full program and the offline one
 * (src/cli/offline.ts) so both parse and print exactly alike; `onGlobals`
 * runs before any subcommand's action with the parsed global flags.
 */
export function rootCommand(onGlobals: (o: GlobalOptions) => void): Command {
  return new Command('istio-operator')
    .description(
      'Install, change and upgrade Istio declaratively from IstioOperator resources.\n' +
        'Runs as an operator in the cluster, or offline to render manifests for GitOps.',
    )
    .version(OPERATOR_VERSION, '--version', 'print the operator version')
    .addOption(
      new Option(
        '--log-format <format>',
        'log line format: json or text (default: text on a terminal, else json)',
      ).argParser(logFormatFlag),
    )
    .addOption(
      new Option('--log-level <level>', `log level: ${LOG_LEVELS.join(', ')}`)
        .argParser(logLevelFlag)
        .default('info'),
    )
    .showHelpAfterError('(run with --help for usage)')
    .hook('preAction', (root) => onGlobals(root.opts<GlobalOptions>()));
}
