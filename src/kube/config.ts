import * as k8s from '@kubernetes/client-node';

/** Where to find the cluster: `--kubeconfig` / `--context`, else the usual defaults. */
export interface KubeconfigOptions {
  kubeconfig?: string;
  context?: string;
}

/**
 * Loads client configuration the way kubectl does: an explicit file, else
 * $KUBECONFIG, else ~/.kube/config, else the in-cluster service account when
 * running in a pod. `--context` picks a context from the file.
 */
export function loadKubeConfig(opts: KubeconfigOptions): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromDefault();
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new Error(
        `--context: no context "${opts.context}" in the kubeconfig (it has: ${known.join(', ') || 'none'})`,
      );
    }
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new Error(
      'no cluster configured: pass --kubeconfig, set KUBECONFIG, or run inside a pod',
    );
  }
  return kc;
}
