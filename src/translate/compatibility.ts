import type { JsonObject } from '../json/value.js';
import type { IstioRelease } from '../releases/catalog.js';

/*
 * What `compatibilityVersion: X` pins, per Istio line (the `compatibility`
 * of each line module in src/releases/lines/): the behaviour of release X
 * kept on a newer control plane (istiod feature flags as `pilot.env`, and
 * the CNI's ambient settings). The values merge over the chart profile's
 * and under the user's, as in the charts.
 */

/** The pins of `version` on `release` as a values layer, and the part istiod's `cni` block sees. */
export function compatibilityValues(
  release: IstioRelease,
  version: string,
): { values: JsonObject; injectorCni: JsonObject } {
  const p = version ? release.compatibility[version] : undefined;
  if (!p) return { values: {}, injectorCni: {} };
  const env: JsonObject = {};
  for (const name of p.env) env[name] = 'false';
  const cniAmbient = p.cniAmbient ?? {};
  return {
    values: {
      pilot: { env },
      ...(p.ambient || p.cniAmbient ? { cni: { ambient: { ...p.ambient, ...cniAmbient } } } : {}),
    },
    injectorCni: Object.keys(cniAmbient).length ? { ambient: cniAmbient } : {},
  };
}
