import { EMBEDDED_VALUES } from './embedded-values.js';
import { isJsonObject, type JsonObject } from '../json/value.js';

/**
 * One embedded values file as a fresh tree (parsed on every call, which is
 * as cheap as cloning a cached one and parses nothing a command does not
 * use); a missing or non-map file is a build defect, not a user error.
 */
export function embeddedValues(name: string): JsonObject {
  const text = EMBEDDED_VALUES[name];
  if (text === undefined) throw new Error(`manifests/values/${name} is not embedded`);
  const parsed: unknown = JSON.parse(text);
  if (!isJsonObject(parsed as JsonObject)) throw new Error(`manifests/values/${name}: not a map`);
  return parsed as JsonObject;
}

/**
 * Default values of every component, as one tree shaped like IstioOperator
 * `spec.values` (`global`, `pilot`, `gateways.<gw>`, `cni`, `ztunnel`, …),
 * from manifests/values/defaults.yaml (Istio 1.27's defaults). User values
 * and chart profiles merge over them.
 *
 * The tree returned is fresh on every call so callers may not share state.
 */
export function defaultValues(): JsonObject {
  return embeddedValues('defaults.yaml');
}
