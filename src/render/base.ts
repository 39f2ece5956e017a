import type { RenderPlan } from '../translate/plan.js';
import { getBool, getPath, getString } from '../json/values.js';
import { pullSecretsField } from './common.js';
import { renderDefaultValidator } from './webhooks.js';
import { renderIstioCrds } from './crds.js';
import { renderDefaultStablePolicy } from './stable-policy.js';
import type { K8sObject } from './object.js';

/**
 * The `Base` component: Istio's 14 config CRDs as Istio publishes them
 * (src/render/crds.ts; minus any listed in
 * `values.base.excludedCRDs`, none when `values.base.enableIstioConfigCRDs`
 * is false) and the `istio-reader-service-account` other clusters use to
 * read this one; with `values.defaultRevision`, the default-revision
 * validating webhook, and with `values.experimental.stableValidationPolicy`
 * too, the default revision's stable-API admission policy.
 */
export function renderBase(plan: RenderPlan, namespace: string): K8sObject[] {
  const out: K8sObject[] = [];
  const excluded = getPath(plan.values, 'base.excludedCRDs');
  const skip = new Set(Array.isArray(excluded) ? excluded.map(String) : []);
  if (getPath(plan.values, 'base.enableIstioConfigCRDs') !== false) {
    out.push(...renderIstioCrds(plan.release, skip));
  }
  if (plan.readerRbac) {
    out.push({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: 'istio-reader-service-account',
        namespace,
        labels: { app: 'istio-reader', release: 'istio' },
      },
      ...pullSecretsField(plan.values),
    });
  }
  out.push(...renderDefaultValidator(plan, plan.istioNamespace));
  const defaultRevision = getString(plan.values, 'defaultRevision');
  if (getBool(plan.values, 'experimental.stableValidationPolicy') && defaultRevision)
    out.push(...renderDefaultStablePolicy(plan, defaultRevision));
  return out;
}
