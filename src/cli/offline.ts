import type { Command } from 'commander';
import { manifestCommand } from './commands/manifest.js';
import { profileCommand } from './commands/profile.js';
import { validateCommand } from './commands/validate.js';
import { versionCommand } from './commands/version.js';
import { rootCommand } from './root.js';

/**
 * The commands that need neither a cluster nor the local control plane, and
 * never log. bin/istio-operator.js sends them to dist/offline-cli.cjs, a
 * single pre-bundled file holding only this program (scripts/offline-bundle.ts),
 * because `manifest generate` in a CI pipeline is dominated by Node start-up
 * and module loading. bin keeps its own copy of these names; a test keeps the
 * two in step.
 */
export const OFFLINE_COMMANDS = ['version', 'profile', 'manifest', 'validate'] as const;

/**
 * The offline program: the same root command (global flags, `--version`) and
 * the same command modules as buildProgram, minus everything else. The global
 * log flags are parsed and checked but there is nothing to configure: none of
 * these commands logs, so winston is never loaded. (All four commands are
 * built every time: building only the one argv names, as buildProgram does
 * for its imports, saved no measurable time here.)
 */
export function buildOfflineProgram(): Command {
  const program = rootCommand(() => {});
  program.addCommand(versionCommand());
  program.addCommand(manifestCommand());
  program.addCommand(profileCommand());
  program.addCommand(validateCommand());
  return program;
}
