import { getObject, getPath, getString } from '../json/values.js';
import type { RenderPlan } from '../translate/plan.js';
import { injectionTemplates } from './injection/templates.js';
import { injectorConfigMapName, revLabel } from './names.js';
import { dumpYaml } from './yaml-text.js';
import type { K8sObject } from './object.js';
import type { Json, JsonObject } from '../json/value.js';

/**
 * The injector's `config` key: policy, selectors, injected annotations,
 * default templates, the pre-1.9 tripwire and the templates themselves (ours, plus any user
 * templates from `values.sidecarInjectorWebhook.templates`, which win on a
 * name clash).
 */
export function injectorConfig(plan: RenderPlan): JsonObject {
  const w = getObject(plan.values, 'sidecarInjectorWebhook');
  const defaults = getPath(w, 'defaultTemplates');
  const user = getObject(w, 'templates');
  const templates: JsonObject = {};
  for (const [name, text] of Object.entries(injectionTemplates(plan.release))) {
    if (!(name in user)) templates[name] = text;
  }
  for (const [name, text] of Object.entries(user)) templates[name] = text;
  return {
    policy: getString(plan.values, 'global.proxy.autoInject') || 'enabled',
    alwaysInjectSelector: (getPath(w, 'alwaysInjectSelector') ?? []) as Json,
    neverInjectSelector: (getPath(w, 'neverInjectSelector') ?? []) as Json,
    // Empty: null, as the chart writes a key with nothing under it.
    injectedAnnotations: Object.keys(getObject(w, 'injectedAnnotations')).length
      ? getObject(w, 'injectedAnnotations')
      : null,
    defaultTemplates: Array.isArray(defaults) && defaults.length ? defaults : ['sidecar'],
    // Not read by istiod 1.27: a tripwire an istiod older than 1.9 would
    // execute as its single template, failing loudly on the unknown function.
    template: '{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}',
    templates,
  };
}

/**
 * The injector's `values` key: the subset of values the templates read
 * (all of `global` and `sidecarInjectorWebhook`, the revision, the `cni`
 * block istiod's chart sees and pilot's env, and the gateway security
 * settings), as istioctl renders it.
 */
export function injectorValues(plan: RenderPlan): JsonObject {
  const v = plan.values;
  return {
    global: getObject(v, 'global'),
    sidecarInjectorWebhook: getObject(v, 'sidecarInjectorWebhook'),
    revision: plan.revision,
    pilot: { cni: plan.injectorCni, env: getObject(v, 'pilot.env') },
    gateways: {
      securityContext: getObject(v, 'gateways.securityContext'),
      seccompProfile: getObject(v, 'gateways.seccompProfile'),
    },
  };
}

/** ConfigMap `istio-sidecar-injector[-<rev>]` with keys `config` (YAML) and `values` (JSON). */
export function renderInjectorConfigMap(plan: RenderPlan, namespace: string): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: injectorConfigMapName(plan.revision),
      namespace,
      labels: { 'istio.io/rev': revLabel(plan.revision), release: 'istio' },
    },
    data: {
      config: dumpYaml(injectorConfig(plan)),
      values: JSON.stringify(sortDeep(injectorValues(plan)), null, 2),
    },
  };
}

function sortDeep(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v && typeof v === 'object') {
    const o: JsonObject = {};
    for (const k of Object.keys(v).sort()) o[k] = sortDeep(v[k]!);
    return o;
  }
  return v;
}
