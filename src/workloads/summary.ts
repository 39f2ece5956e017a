import type { ProxyState } from './stale.js';

/** How many stale workloads a status names; the rest are counted only (status stays small). */
export const FIRST_WORKLOADS = 5;

/** `1-27@1.27.0`, `default@1.27.1`; `none` for a pod with no proxy. */
export function proxyLabel(p: ProxyState): string {
  if (!p.revision) return 'none';
  return p.version ? `${p.revision}@${p.version}` : p.revision;
}
