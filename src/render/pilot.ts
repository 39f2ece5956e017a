import type { RenderPlan } from '../translate/plan.js';
import { renderInjectorConfigMap } from './injector-config.js';
import { meshNetworksText, meshText } from './mesh-config.js';
import { istiodName, meshConfigMapName, revLabel } from './names.js';
import type { K8sObject } from './object.js';
import { renderPilotRbac } from './pilot-rbac.js';
import {
  istiodSelector,
  renderIstiodDeployment,
  renderIstiodService,
  renderRevisionTagService,
} from './pilot-workload.js';
import { renderRemoteIstiod } from './remote.js';
import { renderHpa, renderPdb } from './scaling.js';
import { renderStablePolicy } from './stable-policy.js';
import {
  renderInjectorWebhook,
  renderRevisionTags,
  renderValidatingWebhook,
  revisionTagsOf,
} from './webhooks.js';
import { has } from '../releases/changes.js';
import { policyName, renderNetworkPolicy } from './network-policy.js';

type PilotPlan = NonNullable<RenderPlan['pilot']>;

/**
 * The `Pilot` component: istiod with its RBAC, mesh and injector
 * ConfigMaps, Deployment, Service, HPA, PDB and the two webhook
 * configurations; with `values.experimental.stableValidationPolicy` (the
 * stable profile) also a ValidatingAdmissionPolicy refusing non-stable
 * APIs. With `values.istiodRemote.enabled` (the remote profile) istiod
 * itself is not rendered, only what a cluster served by an external istiod
 * needs.
 */
export function renderPilot(plan: RenderPlan, c: PilotPlan): K8sObject[] {
  const ns = c.namespace;
  const rev = plan.revision;
  const s = c.settings;
  // Without istiod here (a remote cluster, unless it runs a local injector istiod).
  const remote = s.remote && !s.localInjector;
  const out: K8sObject[] = [
    ...renderPilotRbac(plan, ns, s.remote, s.configCluster || s.localInjector),
  ];
  if (s.meshConfigMap) {
    out.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: meshConfigMapName(rev),
        namespace: ns,
        labels: { 'istio.io/rev': revLabel(rev), release: 'istio' },
      },
      data: {
        mesh: meshText(s.mesh.config),
        meshNetworks: meshNetworksText(s.mesh.networks),
      },
    });
  }
  if (s.injectorConfigMap) out.push(renderInjectorConfigMap(plan, ns, s.injector));
  out.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: rev ? `values-${rev}` : 'values',
      namespace: ns,
      labels: { 'istio.io/rev': revLabel(rev), release: 'istio' },
    },
    data: { 'merged-values': JSON.stringify(plan.values) },
  });
  if (s.remote) {
    const name = istiodName(rev);
    out.push(
      ...renderRemoteIstiod(
        plan,
        ns,
        s.remotePilotAddress,
        s.localInjector ? `${name}-remote` : name,
      ),
    );
  }
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
    if (s.scaling.hpa) out.push(renderHpa(name, ns, labels, s.scaling.hpa));
    if (s.scaling.pdb) {
      out.push(renderPdb(name, ns, { ...labels, istio: 'pilot' }, istiodSelector(rev)));
    }
  }
  if (!plan.webhooks.operatorManaged) {
    out.push(renderInjectorWebhook(plan, ns), ...renderRevisionTags(plan, ns));
  }
  if (s.validationWebhook) out.push(renderValidatingWebhook(plan, ns));
  if (s.stableValidationPolicy) {
    out.push(...renderStablePolicy(plan));
  }
  return out;
}
