import type { Command } from 'commander';
import { configureLogger } from '../log/logger.js';
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
import { rootCommand } from './root.js';

/**
 * Builds the `istio-operator` command tree. Every command is its own module
 * under commands/ that returns a commander Command; this file only wires
 * them together under the root command and its global flags.
 */
export function buildProgram(): Command {
  const program = rootCommand((o) => configureLogger({ format: o.logFormat, level: o.logLevel }));
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
