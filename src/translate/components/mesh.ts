import { getObject, getPath, getString } from '../../json/values.js';
import { mergeJson } from '../../json/merge.js';
import type { Json, JsonObject } from '../../json/value.js';
import { istiodCaAddress } from '../names.js';

/**
 * What istiod's two published ConfigMaps carry, resolved from the values
 * once: render/mesh-config.ts and render/injector-config.ts only write them
 * out as text.
 */
export interface MeshSettings {
  /** The mesh config (ConfigMap `istio[-<rev>]`, key `mesh`). */
  config: JsonObject;
  /** `values.global.meshNetworks` (key `meshNetworks`). */
  networks: JsonObject;
}

/** The injector's settings (ConfigMap `istio-sidecar-injector[-<rev>]`). */
export interface InjectorSettings {
  /** `global.proxy.autoInject` (default `enabled`). */
  policy: string;
  alwaysInjectSelector: Json;
  neverInjectSelector: Json;
  /** null when empty, as the chart writes a key with nothing under it. */
  injectedAnnotations: JsonObject | null;
  /** `sidecarInjectorWebhook.defaultTemplates` (default `[sidecar]`). */
  defaultTemplates: Json[];
  /** `sidecarInjectorWebhook.templates`: the user's, which win over ours on a name clash. */
  userTemplates: JsonObject;
  /**
   * The key `values`: the subset of values the templates read (all of
   * `global` and `sidecarInjectorWebhook`, the revision, the `cni` block
   * istiod's chart sees and pilot's env, the gateway security settings).
   */
  values: JsonObject;
}

/**
 * The mesh config: the discovery address of this revision's istiod (in
 * `namespace`), prometheus as the default metrics provider (while telemetry
 * is on), the root namespace and trust domain, then `values.meshConfig`
 * (which carries `spec.meshConfig`) merged over the top. Proxy tracer
 * settings appear only when a tracer is on.
 */
export function meshSettings(
  values: JsonObject,
  revision: string,
  namespace: string,
): MeshSettings {
  const defaultConfig: JsonObject = { discoveryAddress: istiodCaAddress(revision, namespace) };
  const meshID = getString(values, 'global.meshID');
  if (meshID) defaultConfig.meshId = meshID;
  const variant = getString(values, 'global.proxy.variant') || getString(values, 'global.variant');
  if (variant) defaultConfig.image = { imageType: variant };
  const tracing = proxyTracing(values, namespace);
  if (tracing) defaultConfig.tracing = tracing;
  const base: JsonObject = { defaultConfig };
  if (getObject(values, 'telemetry').enabled !== false) {
    const prom = getObject(values, 'telemetry.v2.prometheus').enabled !== false;
    const v2 = getObject(values, 'telemetry.v2').enabled !== false;
    if (prom && v2) base.defaultProviders = { metrics: ['prometheus'] };
  }
  base.enablePrometheusMerge = true;
  base.rootNamespace = getString(values, 'meshConfig.rootNamespace') || namespace;
  base.trustDomain = getString(values, 'global.trustDomain') || 'cluster.local';
  return {
    config: mergeJson(base, getObject(values, 'meshConfig')),
    networks: getObject(values, 'global.meshNetworks'),
  };
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

/** Resolves the injector's settings; `injectorCni` is the plan's (see RenderPlan.injectorCni). */
export function injectorSettings(
  values: JsonObject,
  revision: string,
  injectorCni: JsonObject,
): InjectorSettings {
  const w = getObject(values, 'sidecarInjectorWebhook');
  const defaults = getPath(w, 'defaultTemplates');
  const annotations = getObject(w, 'injectedAnnotations');
  return {
    policy: getString(values, 'global.proxy.autoInject') || 'enabled',
    alwaysInjectSelector: getPath(w, 'alwaysInjectSelector') ?? [],
    neverInjectSelector: getPath(w, 'neverInjectSelector') ?? [],
    injectedAnnotations: Object.keys(annotations).length ? annotations : null,
    defaultTemplates: Array.isArray(defaults) && defaults.length ? defaults : ['sidecar'],
    userTemplates: getObject(w, 'templates'),
    values: {
      global: getObject(values, 'global'),
      sidecarInjectorWebhook: w,
      revision,
      pilot: { cni: injectorCni, env: getObject(values, 'pilot.env') },
      gateways: {
        securityContext: getObject(values, 'gateways.securityContext'),
        seccompProfile: getObject(values, 'gateways.seccompProfile'),
      },
    },
  };
}
