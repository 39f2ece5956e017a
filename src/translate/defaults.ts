import yaml from 'js-yaml';
import { isJsonObject, type JsonObject } from '../render/object.js';
import { EMBEDDED_VALUES } from './embedded-values.js';
import { clone } from './merge.js';

/** Parses one embedded values file; a missing or non-map file is a build defect, not a user error. */
export function embeddedValues(name: string): JsonObject {
  const text = EMBEDDED_VALUES[name];
  if (text === undefined) throw new Error(`manifests/values/${name} is not embedded`);
  const parsed: unknown = yaml.load(text);
  if (!isJsonObject(parsed as JsonObject)) throw new Error(`manifests/values/${name}: not a map`);
  return parsed as JsonObject;
}

const DEFAULTS = embeddedValues('defaults.yaml');

/**
 * Default values of every component, as one tree shaped like IstioOperator
 * `spec.values` (`global`, `pilot`, `gateways.<gw>`, `cni`, `ztunnel`, …),
 * from manifests/values/defaults.yaml (Istio 1.27's defaults). User values
 * and chart profiles merge over them.
 *
 * The tree returned is fresh on every call so callers may not share state.
 */
export function defaultValues(): JsonObject {
  return clone(DEFAULTS);
}
