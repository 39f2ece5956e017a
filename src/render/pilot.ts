import { getBool, getObject, getPath } from '../json/values.js';
import type { ComponentPlan, RenderPlan } from '../translate/plan.js';
import { renderInjectorConfigMap } from './injector-config.js';
import { meshConfig, meshNetworks, meshNetworksText, meshText } from './mesh-config.js';
import { istiodName, meshConfigMapName, revLabel } from './names.js';
import type { K8sObject } from './object.js';
import { renderPilotRbac } from './pilot-rbac.js';
import {
  istiodSelector,
  renderHpa,
  renderIstiodDeployment,
  renderIstiodService,
  renderPdb,
  renderRevisionTagService,
  wantsPdb,
} from './pilot-workload.js';
import { renderRemoteIstiod } from './remote.js';
import { renderStablePolicy } from './stable-policy.js';
import {
  renderInjectorWebhook,
  renderRevisionTags,
  renderValidatingWebhook,
  revisionTagsOf,
} from './webhooks.js';
import { has } from '../releases/changes.js';
import { policyName, renderNetworkPolicy } from './network-policy.js';

/**
 * The `Pilot` component: istiod with its RBAC, mesh and injector
 * ConfigMaps, Deployment, Service, HPA, PDB and the two webhook
 * configurations; with `values.experimental.stableValidationPolicy` (the
 * stable profile) also a ValidatingAdmissionPolicy refusing non-stable
 * APIs. With `values.istiodRemote.enabled` (the remote profile) istiod
 * itself is not rendered, only what a cluster served by an external istiod
 * needs.
 */
export function renderPilot(plan: RenderPlan, c: ComponentPlan): K8sObject[] {
  const v = plan.values;
  const ns = c.namespace;
  const rev = plan.revision;
  const remote = getBool(v, 'pilot.istiodRemote.enabled') || getBool(v, 'istiodRemote.enabled');
  const out: K8sObject[] = [...renderPilotRbac(plan, ns, remote)];
  if (getPath(v, 'pilot.configMap') !== false) {
    out.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: meshConfigMapName(rev),
        namespace: ns,
        labels: { 'istio.io/rev': revLabel(rev), release: 'istio' },
      },
      data: {
        mesh: meshText(meshConfig(plan, ns)),
        meshNetworks: meshNetworksText(meshNetworks(plan)),
      },
    });
  }
  if (!getBool(v, 'global.omitSidecarInjectorConfigMap'))
    out.push(renderInjectorConfigMap(plan, ns));
  out.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: rev ? `values-${rev}` : 'values',
      namespace: ns,
      labels: { 'istio.io/rev': revLabel(rev), release: 'istio' },
    },
    data: { 'merged-values': JSON.stringify(v) },
  });
  if (remote) out.push(...renderRemoteIstiod(plan, ns));
  if (plan.networkPolicy) {
    out.push(
      renderNetworkPolicy({
        name: policyName('istiod', rev),
        namespace: ns,
        labels: { app: 'istiod', istio: 'pilot', release: 'istio' },
        podSelector: { app: 'istiod', 'istio.io/rev': revLabel(rev) },
        rules: [[[15017]], [[15010], [15011], [15012], [8080], [15014]]],
      }),
    );
  }
  if (has(plan.release, 'revisionTagService')) {
    for (const tag of revisionTagsOf(plan)) out.push(renderRevisionTagService(plan, c, tag));
  }
  if (!remote) {
    const name = istiodName(rev);
    const labels = { app: 'istiod', 'istio.io/rev': revLabel(rev), release: 'istio' };
    out.push(renderIstiodDeployment(plan, c), renderIstiodService(plan, c));
    const p = getObject(v, 'pilot');
    if (
      getBool(p, 'autoscaleEnabled') &&
      getBool(p, 'autoscaleMin') &&
      getBool(p, 'autoscaleMax')
    ) {
      out.push(renderHpa(name, ns, labels, p));
    }
    if (wantsPdb(plan, p)) {
      out.push(renderPdb(name, ns, { ...labels, istio: 'pilot' }, istiodSelector(rev)));
    }
  }
  if (!getBool(v, 'global.operatorManageWebhooks')) {
    out.push(renderInjectorWebhook(plan, ns), ...renderRevisionTags(plan, ns));
  }
  if (getBool(v, 'global.configValidation') && !remote) out.push(renderValidatingWebhook(plan, ns));
  if (getBool(v, 'experimental.stableValidationPolicy') && !remote) {
    out.push(...renderStablePolicy(plan, ns));
  }
  return out;
}
