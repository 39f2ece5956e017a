import { goYaml } from './go-yaml.js';
import { getObject, getPath, getString } from '../json/values.js';
import type { RenderPlan } from '../translate/plan.js';
import { istiodName } from './names.js';
import { mergeJson } from '../json/merge.js';
import type { JsonObject } from '../json/value.js';

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
  const tracing = proxyTracing(v, namespace);
  if (tracing) defaultConfig.tracing = tracing;
  const base: JsonObject = { defaultConfig };
  if (getObject(v, 'telemetry').enabled !== false) {
    const prom = getObject(v, 'telemetry.v2.prometheus').enabled !== false;
    const v2 = getObject(v, 'telemetry.v2').enabled !== false;
    if (prom && v2) base.defaultProviders = { metrics: ['prometheus'] };
  }
  base.enablePrometheusMerge = true;
  base.rootNamespace = getString(v, 'meshConfig.rootNamespace') || namespace;
  base.trustDomain = getString(v, 'global.trustDomain') || 'cluster.local';
  return mergeJson(base, getObject(v, 'meshConfig'));
}

/**
 * `defaultConfig.tracing` for `values.global.proxy.tracer`: zipkin (default
 * address `zipkin.<ns>:9411`), datadog (the node agent on `$(HOST_IP):8126`)
 * or stackdriver (limits 200), each overridable under `values.global.tracer`.
 * `none` and tracers configured elsewhere add nothing.
 */
function proxyTracing(v: JsonObject, namespace: string): JsonObject | undefined {
  const tracer = getString(v, 'global.proxy.tracer');
  const num = (path: string, dflt: number) => {
    const n = getPath(v, path);
    return typeof n === 'number' ? n : dflt;
  };
  if (tracer === 'zipkin') {
    return {
      zipkin: {
        address: getString(v, 'global.tracer.zipkin.address') || `zipkin.${namespace}:9411`,
      },
    };
  }
  if (tracer === 'datadog') {
    return {
      datadog: { address: getString(v, 'global.tracer.datadog.address') || '$(HOST_IP):8126' },
    };
  }
  if (tracer === 'stackdriver') {
    return {
      stackdriver: {
        debug: getPath(v, 'global.tracer.stackdriver.debug') === true,
        maxNumberOfAnnotations: num('global.tracer.stackdriver.maxNumberOfAnnotations', 200),
        maxNumberOfAttributes: num('global.tracer.stackdriver.maxNumberOfAttributes', 200),
        maxNumberOfMessageEvents: num('global.tracer.stackdriver.maxNumberOfMessageEvents', 200),
      },
    };
  }
  return undefined;
}

/** The `meshNetworks` key: `networks` from `values.global.meshNetworks` (empty by default). */
export function meshNetworks(plan: RenderPlan): JsonObject {
  return { networks: getObject(plan.values, 'global.meshNetworks') };
}

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
export function meshNetworksText(value: JsonObject): string {
  const networks = value.networks as JsonObject | undefined;
  if (!networks || Object.keys(networks).length === 0) return 'networks: {}';
  const body = goYaml(networks)
    .trim()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
  return `networks:\n${body}`;
}
