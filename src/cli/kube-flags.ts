import type { Command } from 'commander';
import type { KubeAccess } from '../kube/config.js';
import { UserError } from './errors.js';

/** `--kubeconfig` and `--context`, as commander parses them. */
export interface KubeFlags {
  kubeconfig?: string;
  context?: string;
}

/** What `--kubeconfig` means for every command that talks to a cluster. */
const KUBECONFIG_HELP = 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)';

/**
 * Adds `--kubeconfig <path>` and `--context <name>` to a command, where the
 * call stands in its chain of options (so `--help` lists them there).
 * `kubeconfigHelp` is for `demo` only, whose default is not a kubeconfig but
 * a local control plane.
 */
export function withKubeFlags(cmd: Command, kubeconfigHelp = KUBECONFIG_HELP): Command {
  return cmd
    .option('--kubeconfig <path>', kubeconfigHelp)
    .option('--context <name>', 'kubeconfig context (default: its current context)');
}

/**
 * Loads the cluster's credentials from the flags the way kubectl does
 * (src/kube/config.ts); a kubeconfig that is missing, unreadable or without
 * the context asked for is the user's to fix, so its message becomes a
 * UserError (exit 1, no stack trace). Imported only when called: offline
 * commands and `--help` do not load the Kubernetes code.
 */
export async function loadKubeAccess(flags: KubeFlags): Promise<KubeAccess> {
  const { loadKubeConfig } = await import('../kube/config.js');
  try {
    return await loadKubeConfig(flags);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
}
