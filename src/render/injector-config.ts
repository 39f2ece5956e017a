import type { InjectorSettings } from '../translate/components/mesh.js';
import type { RenderPlan } from '../translate/plan.js';
import { injectionTemplates } from './injection/templates.js';
import { injectorConfigMapName, revLabel } from './names.js';
import { dumpYaml } from '../yaml/dump.js';
import type { K8sObject } from './object.js';
import type { Json, JsonObject } from '../json/value.js';

/**
 * The injector's `config` key: policy, selectors, injected annotations,
 * default templates, the pre-1.9 tripwire and the templates themselves (ours, plus any user
 * templates from `values.sidecarInjectorWebhook.templates`, which win on a
 * name clash).
 */
function injectorConfig(plan: RenderPlan, i: InjectorSettings): JsonObject {
  const templates: JsonObject = {};
  for (const [name, text] of Object.entries(injectionTemplates(plan.release))) {
    if (!(name in i.userTemplates)) templates[name] = text;
  }
  for (const [name, text] of Object.entries(i.userTemplates)) templates[name] = text;
  return {
    policy: i.policy,
    alwaysInjectSelector: i.alwaysInjectSelector,
    neverInjectSelector: i.neverInjectSelector,
    injectedAnnotations: i.injectedAnnotations,
    defaultTemplates: i.defaultTemplates,
    // Not read by istiod 1.27: a tripwire an istiod older than 1.9 would
    // execute as its single template, failing loudly on the unknown function.
    template: '{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}',
    templates,
  };
}

/** ConfigMap `istio-sidecar-injector[-<rev>]` with keys `config` (YAML) and `values` (JSON). */
export function renderInjectorConfigMap(
  plan: RenderPlan,
  namespace: string,
  injector: InjectorSettings,
): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: injectorConfigMapName(plan.revision),
      namespace,
      labels: { 'istio.io/rev': revLabel(plan.revision), release: 'istio' },
    },
    data: {
      config: dumpYaml(injectorConfig(plan, injector)),
      values: JSON.stringify(sortDeep(injector.values), null, 2),
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
