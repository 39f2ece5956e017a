import { goYaml } from '../yaml/go-yaml.js';
import type { JsonObject } from '../json/value.js';

/**
 * The `mesh` key's text: Helm's `toYaml` of the mesh config, in a literal
 * block that drops the final newline — the very text istioctl writes, so
 * taking over its install leaves the key alone (go-yaml.ts says why).
 */
export function meshText(mesh: JsonObject): string {
  return goYaml(mesh).replace(/\n+$/, '');
}

/**
 * The `meshNetworks` key's text: `networks:` and Helm's `toYaml` of the
 * networks indented under it (trimmed), or `networks: {}` when there are none.
 */
export function meshNetworksText(networks: JsonObject): string {
  if (Object.keys(networks).length === 0) return 'networks: {}';
  const body = goYaml(networks)
    .trim()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
  return `networks:\n${body}`;
}
