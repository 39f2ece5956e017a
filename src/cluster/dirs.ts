import { homedir } from 'node:os';
import { join } from 'node:path';

/** The folder `cluster up` uses without `--dir`: `$XDG_STATE_HOME/istio-operator/cluster`. */
export function defaultClusterDir(): string {
  const base = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'istio-operator', 'cluster');
}
