import yaml from 'js-yaml';
import { getObject, getString, mergeValues } from '../translate/merge.js';
import type { RenderPlan } from '../translate/plan.js';
import { istiodName } from './names.js';
import type { JsonObject } from './object.js';

/**
 * The mesh config istiod reads from ConfigMap `istio[-<rev>]` key `mesh`:
 * the discovery address of this revision's istiod, prometheus as the
 * default metrics provider (while telemetry is on), the root namespace and
 * trust domain, then `values.meshConfig` (which carries `spec.meshConfig`)
 * merged over the top. Proxy tracer settings appear only when a tracer is on.
 */
export function meshConfig(plan: RenderPlan, namespace: string): JsonObject {
  const v = plan.values;
  const defaultConfig: JsonObject = {
    discoveryAddress: `${istiodName(plan.revision)}.${namespace}.svc:15012`,
  };
  const meshID = getString(v, 'global.meshID');
  if (meshID) defaultConfig.meshId = meshID;
  const variant = getString(v, 'global.proxy.variant') || getString(v, 'global.variant');
  if (variant) defaultConfig.image = { imageType: variant };
  const tracer = getString(v, 'global.proxy.tracer');
  if (tracer === 'zipkin') {
    defaultConfig.tracing = { zipkin: { address: `zipkin.${namespace}:9411` } };
  }
  const base: JsonObject = { defaultConfig };
  if (getObject(v, 'telemetry').enabled !== false) {
    const prom = getObject(v, 'telemetry.v2.prometheus').enabled !== false;
    const v2 = getObject(v, 'telemetry.v2').enabled !== false;
    if (prom && v2) base.defaultProviders = { metrics: ['prometheus'] };
  }
  base.enablePrometheusMerge = true;
  base.rootNamespace = getString(v, 'meshConfig.rootNamespace') || namespace;
  base.trustDomain = getString(v, 'global.trustDomain') || 'cluster.local';
  return mergeValues(base, getObject(v, 'meshConfig'));
}

/** The `meshNetworks` key: `networks` from `values.global.meshNetworks` (empty by default). */
export function meshNetworks(plan: RenderPlan): JsonObject {
  return { networks: getObject(plan.values, 'global.meshNetworks') };
}

/** YAML text as stored in ConfigMap data, keys sorted so output is stable. */
export function toYamlText(v: unknown): string {
  return yaml.dump(v, { sortKeys: true, lineWidth: -1, noRefs: true });
}
