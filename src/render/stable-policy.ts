import type { RenderPlan } from '../translate/plan.js';
import { has } from '../releases/changes.js';
import { revLabel } from './names.js';
import { CONFIG_GROUPS } from './webhooks.js';
import type { K8sObject } from './object.js';
import type { JsonObject } from '../json/value.js';

/**
 * The stable profile's admission policy: refuse Istio config that uses
 * alpha-only APIs (EnvoyFilter, WasmPlugin, ProxyConfig, and Telemetry's
 * experimental fields; from 1.30 AuthorizationPolicy trust domains) for
 * this revision's objects, enforced by the API server itself.
 */
export function renderStablePolicy(plan: RenderPlan): K8sObject[] {
  // Named for the revision too: two revisions' policies are two objects.
  const suffix = `${plan.revision ? `-${plan.revision}` : ''}-${plan.istioNamespace}.istio.io`;
  return policyAndBinding(
    plan,
    { name: `stable-channel-policy${suffix}` },
    `stable-channel-policy-binding${suffix}`,
    {
      objectSelector: {
        matchExpressions: [
          { key: 'istio.io/rev', operator: 'In', values: [revLabel(plan.revision)] },
        ],
      },
    },
  );
}

/**
 * The Base component's copy of the policy for the default revision
 * (`values.defaultRevision` set, with `values.experimental.stableValidationPolicy`):
 * the same rules for every object, whichever revision it names, so Istio
 * config without an `istio.io/rev` label is held to them too.
 */
export function renderDefaultStablePolicy(plan: RenderPlan, defaultRevision: string): K8sObject[] {
  return policyAndBinding(
    plan,
    {
      name: 'stable-channel-default-policy.istio.io',
      labels: { release: 'istio', istio: 'istiod', 'istio.io/rev': defaultRevision },
    },
    'stable-channel-default-policy-binding.istio.io',
    {},
  );
}

function policyAndBinding(
  plan: RenderPlan,
  metadata: { name: string; labels?: Record<string, string> },
  binding: string,
  match: JsonObject,
): K8sObject[] {
  const policy = metadata.name;
  const telemetryUsesAlpha = [
    '!(',
    '  variables.isTelemetry && (',
    '    (has(object.spec.tracing) ? object.spec.tracing : {}).exists(t, has(t.useRequestIdForTraceSampling)) ||',
    '    (has(object.spec.metrics) ? object.spec.metrics : {}).exists(m, has(m.reportingInterval)) ||',
    '    (has(object.spec.accessLogging) ? object.spec.accessLogging : {}).exists(l, has(l.filter))',
    '  )',
    ')',
  ].join('\n');
  const trustDomains = has(plan.release, 'stablePolicyTrustDomains');
  const authzUsesTrustDomains = [
    '!(',
    '  variables.isAuthorizationPolicy &&',
    '  has(object.spec.rules) &&',
    '  object.spec.rules.exists(r,',
    '    has(r.from) && r.from.exists(f,',
    '      has(f.source) && (has(f.source.trustDomains) || has(f.source.notTrustDomains))',
    '    )',
    '  )',
    ')',
  ].join('\n');
  const kinds = [
    'EnvoyFilter',
    'WasmPlugin',
    'ProxyConfig',
    'Telemetry',
    ...(trustDomains ? ['AuthorizationPolicy'] : []),
  ];
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata,
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          ...match,
          resourceRules: [
            {
              apiGroups: [...CONFIG_GROUPS],
              apiVersions: ['*'],
              operations: ['CREATE', 'UPDATE'],
              resources: ['*'],
            },
          ],
        },
        variables: kinds.map((k) => ({ name: `is${k}`, expression: `object.kind == '${k}'` })),
        validations: [
          ...kinds.slice(0, 3).map((k) => ({ expression: `!variables.is${k}` })),
          // 1.30's chart writes this one as a block that keeps its final line break.
          { expression: trustDomains ? `${telemetryUsesAlpha}\n` : telemetryUsesAlpha },
          ...(trustDomains ? [{ expression: authzUsesTrustDomains }] : []),
        ],
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: binding },
      spec: { policyName: policy, validationActions: ['Deny'] },
    },
  ];
}
