import type { Command } from 'commander';
import { configureLogger } from '../log/logger.js';
import { commandName, rootCommand } from './root.js';

/**
 * Every command, in the order `--help` lists them, with the module that
 * defines it. Modules are imported only when needed: one command's module
 * may pull in the renderer and its 0.5 MB validator, the controller or the
 * control-plane code, and `istio-operator status` should not load all of
 * them to show one table.
 */
const COMMANDS: readonly { name: string; load: () => Promise<Command> }[] = [
  { name: 'version', load: async () => (await import('./commands/version.js')).versionCommand() },
  { name: 'cluster', load: async () => (await import('./commands/cluster.js')).clusterCommand() },
  { name: 'run', load: async () => (await import('./commands/run.js')).runCommand() },
  { name: 'init', load: async () => (await import('./commands/install.js')).initCommand() },
  { name: 'remove', load: async () => (await import('./commands/install.js')).removeCommand() },
  {
    name: 'uninstall',
    load: async () => (await import('./commands/uninstall.js')).uninstallCommand(),
  },
  { name: 'dump', load: async () => (await import('./commands/install.js')).dumpCommand() },
  { name: 'status', load: async () => (await import('./commands/status.js')).statusCommand() },
  {
    name: 'workloads',
    load: async () => (await import('./commands/workloads.js')).workloadsCommand(),
  },
  { name: 'diff', load: async () => (await import('./commands/diff.js')).diffCommand() },
  {
    name: 'create-remote-secret',
    load: async () =>
      (await import('./commands/create-remote-secret.js')).createRemoteSecretCommand(),
  },
  { name: 'demo', load: async () => (await import('./commands/demo.js')).demoCommand() },
  {
    name: 'manifest',
    load: async () => (await import('./commands/manifest.js')).manifestCommand(),
  },
  { name: 'profile', load: async () => (await import('./commands/profile.js')).profileCommand() },
  {
    name: 'validate',
    load: async () => (await import('./commands/validate.js')).validateCommand(),
  },
];

/** The names of every command, in help order. */
export const COMMAND_NAMES: readonly string[] = COMMANDS.map((c) => c.name);

/**
 * Builds the `istio-operator` command tree. Every command is its own module
 * under commands/ that returns a commander Command; this file only wires
 * them together under the root command and its global flags.
 *
 * Given the process's argv, it loads only the command argv names: a
 * command's parsing, help and errors do not depend on its siblings. Without
 * argv, and when argv names no known command (`--help`, `help`, a typo that
 * commander should answer with "did you mean"), it loads them all.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = rootCommand((o) => configureLogger({ format: o.logFormat, level: o.logLevel }));
  const name = argv ? commandName(argv.slice(2)) : undefined;
  const one = COMMANDS.find((c) => c.name === name);
  const commands = await Promise.all((one ? [one] : COMMANDS).map((c) => c.load()));
  for (const c of commands) program.addCommand(c);
  return program;
}
