/**
 * istiod's address for certificates and xDS: `istiod[-<rev>].<ns>.svc:15012`
 * (render/names.ts names the objects themselves by the same rule).
 */
export function istiodCaAddress(revision: string, namespace: string): string {
  return `istiod${revision ? `-${revision}` : ''}.${namespace}.svc:15012`;
}
