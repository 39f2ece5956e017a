import { EMBEDDED_VALUES } from './embedded-values.js';
import { mergeJson } from '../json/merge.js';
import { isJsonObject, type JsonObject } from '../json/value.js';
import { RELEASES, type IstioRelease } from '../releases/catalog.js';

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
 * Default values of every component for a release line, as one tree shaped
 * like IstioOperator `spec.values` (`global`, `pilot`, `gateways.<gw>`,
 * `cni`, `ztunnel`, …): manifests/values/defaults.yaml (Istio 1.27's
 * defaults), then each later line's changes (release-<minor>.yaml) up to
 * the one asked for. User values and chart profiles merge over them.
 *
 * The tree returned is fresh on every call so callers may not share state.
 */
export function defaultValues(release: IstioRelease): JsonObject {
  let values = embeddedValues('defaults.yaml');
  for (const r of RELEASES.slice(1, RELEASES.indexOf(release) + 1))
    values = mergeJson(values, embeddedValues(`release-${r.minor}.yaml`));
  return values;
}
