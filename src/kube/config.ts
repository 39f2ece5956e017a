import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import yaml from 'js-yaml';
import {
  fromKubeconfig,
  inClusterConfig,
  type KubeAccess,
  UnsupportedKubeconfig,
} from './access.js';

export type { KubeAccess } from './access.js';

/** Where to find the cluster: `--kubeconfig` / `--context`, else the usual defaults. */
export interface KubeconfigOptions {
  kubeconfig?: string;
  context?: string;
}

/**
 * Loads client configuration the way kubectl does: an explicit file, else
 * $KUBECONFIG, else ~/.kube/config, else the in-cluster service account when
 * running in a pod. `--context` picks a context from the file.
 *
 * The operator's own loader (access.ts) handles the usual cases, a single
 * file with client certificates or tokens and the in-cluster service
 * account, without loading client-node; anything else (several files in
 * $KUBECONFIG, exec plugins, auth providers, proxies…) goes to client-node's
 * KubeConfig, imported only then.
 */
export async function loadKubeConfig(opts: KubeconfigOptions): Promise<KubeAccess> {
  return lightKubeConfig(opts) ?? (await clientNodeKubeConfig(opts));
}

/** The kubeconfig file kubectl would read: --kubeconfig, a single $KUBECONFIG, ~/.kube/config; null for several; undefined for none. */
function kubeconfigFile(opts: KubeconfigOptions): string | null | undefined {
  if (opts.kubeconfig) return opts.kubeconfig;
  const env = (process.env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (env.length > 1) return null;
  if (env.length === 1) return env[0];
  const home = join(homedir(), '.kube', 'config');
  return statSync(home, { throwIfNoEntry: false }) ? home : undefined;
}

function lightKubeConfig(opts: KubeconfigOptions): KubeAccess | undefined {
  const file = kubeconfigFile(opts);
  if (file === null) return undefined;
  if (file === undefined) {
    // client-node would fall back to http://localhost:8080, and every request
    // would then fail with a TLS complaint that names nothing the user set.
    const inCluster = opts.context ? undefined : inClusterConfig();
    if (inCluster) return inCluster;
    throw noKubeconfig(opts.context);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const source = opts.kubeconfig ? '--kubeconfig' : 'KUBECONFIG';
    const why =
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new Error(
      `${source} ${file}: cannot read the kubeconfig (${why}): pass --kubeconfig PATH or set KUBECONFIG to an existing file`,
    );
  }
  try {
    const { access, contexts } = fromKubeconfig(yaml.load(text), file, opts.context);
    if (access) return access;
    if (opts.context) throw contextError(opts.context, contexts);
    throw noCluster();
  } catch (err) {
    if (err instanceof UnsupportedKubeconfig) return undefined;
    throw err;
  }
}

async function clientNodeKubeConfig(opts: KubeconfigOptions): Promise<KubeAccess> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromDefault();
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) {
      throw contextError(
        opts.context,
        kc.getContexts().map((c) => c.name),
      );
    }
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentCluster()) throw noCluster();
  return kc;
}

function contextError(context: string, known: string[]): Error {
  return new Error(
    `--context: no context "${context}" in the kubeconfig (it has: ${known.join(', ') || 'none'})`,
  );
}

function noKubeconfig(context: string | undefined): Error {
  return new Error(
    `no kubeconfig found${context ? ` for --context ${context}` : ''}: KUBECONFIG is not set, ` +
      `${join(homedir(), '.kube', 'config')} does not exist${context ? '' : ', and this is not a pod (no in-cluster service account)'}. ` +
      'Pass --kubeconfig PATH or set KUBECONFIG (for a local control plane: `istio-operator cluster up` prints the export line)',
  );
}

function noCluster(): Error {
  return new Error('no cluster configured: pass --kubeconfig, set KUBECONFIG, or run inside a pod');
}
