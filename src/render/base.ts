import type { RenderPlan } from '../translate/plan.js';
import { pullSecretsField } from './common.js';
import { renderDefaultValidator } from './webhooks.js';
import { renderIstioCrds } from './crds.js';
import { renderDefaultStablePolicy } from './stable-policy.js';
import type { K8sObject } from './object.js';

type BasePlan = NonNullable<RenderPlan['base']>;

/**
 * The `Base` component: Istio's 14 config CRDs as Istio publishes them
 * (src/render/crds.ts; minus any listed in
 * `values.base.excludedCRDs`, none when `values.base.enableIstioConfigCRDs`
 * is false) and the `istio-reader-service-account` other clusters use to
 * read this one; with `values.defaultRevision`, the default-revision
 * validating webhook, and with `values.experimental.stableValidationPolicy`
 * too, the default revision's stable-API admission policy.
 */
export function renderBase(plan: RenderPlan, c: BasePlan): K8sObject[] {
  const namespace = c.namespace;
  const s = c.settings;
  const out: K8sObject[] = [];
  if (s.configCrds) out.push(...renderIstioCrds(plan.release, s.excludedCrds));
  if (plan.readerRbac && !plan.readerServiceAccount) {
    out.push({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: 'istio-reader-service-account',
        namespace,
        labels: { app: 'istio-reader', release: 'istio' },
      },
      ...pullSecretsField(plan),
    });
  }
  out.push(...renderDefaultValidator(plan, plan.istioNamespace));
  if (s.defaultStablePolicy)
    out.push(...renderDefaultStablePolicy(plan, plan.webhooks.defaultRevision));
  return out;
}
