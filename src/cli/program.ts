import { Command, Option } from 'commander';
import { configureLogger, LOG_LEVELS, parseLogFormat, parseLogLevel } from '../log/logger.js';
import { OPERATOR_VERSION } from '../version.js';
import { clusterCommand } from './commands/cluster.js';
import { manifestCommand } from './commands/manifest.js';
import { profileCommand } from './commands/profile.js';
import { validateCommand } from './commands/validate.js';
import { versionCommand } from './commands/version.js';
import { runCommand } from './commands/run.js';
import { statusCommand } from './commands/status.js';
import { diffCommand } from './commands/diff.js';
import { demoCommand } from './commands/demo.js';
import { dumpCommand, initCommand, removeCommand } from './commands/install.js';

/**
 * Builds the `istio-operator` command tree. Every command is its own module
 * under commands/ that returns a commander Command; this file only wires
 * them together with the global flags.
 */
export function buildProgram(): Command {
  const program = new Command('istio-operator')
    .description(
      'Install, change and upgrade Istio declaratively from IstioOperator resources.\n' +
        'Runs as an operator in the cluster, or offline to render manifests for GitOps.',
    )
    .version(OPERATOR_VERSION, '--version', 'print the operator version')
    .addOption(
      new Option(
        '--log-format <format>',
        'log line format: json or text (default: text on a terminal, else json)',
      ).argParser(parseLogFormat),
    )
    .addOption(
      new Option('--log-level <level>', `log level: ${LOG_LEVELS.join(', ')}`)
        .argParser(parseLogLevel)
        .default('info'),
    )
    .showHelpAfterError('(run with --help for usage)')
    .hook('preAction', (root) => {
      const o = root.opts<{ logFormat?: 'json' | 'text'; logLevel?: 'info' }>();
      configureLogger({ format: o.logFormat, level: o.logLevel });
    });

  program.addCommand(versionCommand());
  program.addCommand(clusterCommand());
  program.addCommand(runCommand());
  program.addCommand(initCommand());
  program.addCommand(removeCommand());
  program.addCommand(dumpCommand());
  program.addCommand(statusCommand());
  program.addCommand(diffCommand());
  program.addCommand(demoCommand());
  program.addCommand(manifestCommand());
  program.addCommand(profileCommand());
  program.addCommand(validateCommand());
  return program;
}
