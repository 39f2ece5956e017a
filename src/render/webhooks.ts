import { getBool, getString } from '../translate/merge.js';
import type { RenderPlan } from '../translate/plan.js';
import { istiodName, mutatingWebhookName, revLabel, validatingWebhookName } from './names.js';
import type { JsonObject, K8sObject } from './object.js';

const POD_RULES = [
  { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] },
];

function sel(key: string, operator: string, values?: string[]): JsonObject {
  return values ? { key, operator, values } : { key, operator };
}

/** Where the webhooks call istiod: its Service on 443, or `istiodRemote.injectionURL`. */
function clientConfig(plan: RenderPlan, namespace: string, path: string): JsonObject {
  const url = getString(plan.values, 'pilot.istiodRemote.injectionURL');
  if (url && path === '/inject') return { url };
  const injectionPath = getString(plan.values, 'pilot.istiodRemote.injectionPath') || '/inject';
  return {
    service: {
      name: istiodName(plan.revision),
      namespace,
      path: path === '/inject' ? injectionPath : path,
      // The validating webhook relies on the Service port default (443).
      ...(path === '/inject' ? { port: 443 } : {}),
    },
  };
}

/**
 * MutatingWebhookConfiguration of the sidecar injector. Every revision gets
 * the two `rev.*` webhooks (namespace label `istio.io/rev=<rev>`, or pod
 * label `istio.io/rev=<rev>` in unlabelled namespaces); the default revision
 * also answers namespace label `istio-injection=enabled` and pod label
 * `sidecar.istio.io/inject=true`. istiod fills in the CA bundle of every
 * webhook whose name ends in `sidecar-injector.istio.io`.
 */
export function renderInjectorWebhook(plan: RenderPlan, namespace: string): K8sObject {
  const rev = revLabel(plan.revision);
  const cc = clientConfig(plan, namespace, '/inject');
  const reinvocation =
    getString(plan.values, 'sidecarInjectorWebhook.reinvocationPolicy') || 'Never';
  const hook = (name: string, nsSel: JsonObject[], objSel: JsonObject[]): JsonObject => ({
    name,
    clientConfig: cc,
    sideEffects: 'None',
    rules: POD_RULES,
    failurePolicy: 'Fail',
    reinvocationPolicy: reinvocation,
    admissionReviewVersions: ['v1'],
    namespaceSelector: { matchExpressions: nsSel },
    objectSelector: { matchExpressions: objSel },
  });
  const notFalse = sel('sidecar.istio.io/inject', 'NotIn', ['false']);
  const webhooks: JsonObject[] = [
    hook(
      'rev.namespace.sidecar-injector.istio.io',
      [sel('istio.io/rev', 'In', [rev]), sel('istio-injection', 'DoesNotExist')],
      [notFalse],
    ),
    hook(
      'rev.object.sidecar-injector.istio.io',
      [sel('istio.io/rev', 'DoesNotExist'), sel('istio-injection', 'DoesNotExist')],
      [notFalse, sel('istio.io/rev', 'In', [rev])],
    ),
  ];
  if (!plan.revision) {
    webhooks.push(
      hook(
        'namespace.sidecar-injector.istio.io',
        [sel('istio-injection', 'In', ['enabled'])],
        [notFalse],
      ),
      hook(
        'object.sidecar-injector.istio.io',
        [sel('istio-injection', 'DoesNotExist'), sel('istio.io/rev', 'DoesNotExist')],
        [sel('sidecar.istio.io/inject', 'In', ['true']), sel('istio.io/rev', 'DoesNotExist')],
      ),
    );
    if (getBool(plan.values, 'sidecarInjectorWebhook.enableNamespacesByDefault')) {
      webhooks.push(
        hook(
          'auto.sidecar-injector.istio.io',
          [
            sel('istio-injection', 'DoesNotExist'),
            sel('istio.io/rev', 'DoesNotExist'),
            sel('kubernetes.io/metadata.name', 'NotIn', [
              'kube-system',
              'kube-public',
              'kube-node-lease',
              'local-path-storage',
            ]),
          ],
          [sel('sidecar.istio.io/inject', 'DoesNotExist'), sel('istio.io/rev', 'DoesNotExist')],
        ),
      );
    }
  }
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: {
      name: mutatingWebhookName(plan.revision, namespace),
      labels: { app: 'sidecar-injector', 'istio.io/rev': rev, release: 'istio' },
    },
    webhooks,
  };
}

/**
 * ValidatingWebhookConfiguration for Istio config. It starts with
 * failurePolicy Ignore so installing never blocks on a not-yet-ready
 * istiod; istiod switches it to Fail once it serves.
 */
export function renderValidatingWebhook(plan: RenderPlan, namespace: string): K8sObject {
  const rev = revLabel(plan.revision);
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: validatingWebhookName(plan.revision, namespace),
      labels: { app: 'istiod', istio: 'istiod', 'istio.io/rev': rev, release: 'istio' },
    },
    webhooks: [
      {
        name: 'rev.validation.istio.io',
        clientConfig: clientConfig(plan, namespace, '/validate'),
        rules: [
          {
            operations: ['CREATE', 'UPDATE'],
            apiGroups: [
              'security.istio.io',
              'networking.istio.io',
              'telemetry.istio.io',
              'extensions.istio.io',
            ],
            apiVersions: ['*'],
            resources: ['*'],
          },
        ],
        failurePolicy: 'Ignore',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        objectSelector: { matchExpressions: [sel('istio.io/rev', 'In', [rev])] },
      },
    ],
  };
}
