import type { RenderPlan } from '../translate/plan.js';
import { istiodName, mutatingWebhookName, revLabel, validatingWebhookName } from './names.js';
import type { K8sObject } from './object.js';
import type { JsonObject } from '../json/value.js';

const POD_RULES = [
  { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] },
];

/** The API groups of Istio config, whose writes istiod validates. */
export const CONFIG_GROUPS: readonly string[] = [
  'security.istio.io',
  'networking.istio.io',
  'telemetry.istio.io',
  'extensions.istio.io',
];

/** Istio config writes, the objects the validating webhooks check. */
const CONFIG_RULE: JsonObject = {
  operations: ['CREATE', 'UPDATE'],
  apiGroups: [...CONFIG_GROUPS],
  apiVersions: ['*'],
  resources: ['*'],
};

function sel(key: string, operator: string, values?: string[]): JsonObject {
  return values ? { key, operator, values } : { key, operator };
}

/** Where the webhooks call istiod: its Service on 443, or `istiodRemote.injectionURL`. */
function clientConfig(plan: RenderPlan, namespace: string, path: string): JsonObject {
  const { injectionURL: url, injectionPath, validationURL } = plan.webhooks;
  if (url && path === '/inject') return { url };
  if (validationURL && path === '/validate') return { url: validationURL };
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

/** The injector webhooks that select pods by `selectorRev`; the catch-all ones too when `withDefault`. */
function injectorHooks(
  plan: RenderPlan,
  namespace: string,
  selectorRev: string,
  withDefault: boolean,
): JsonObject[] {
  const cc = clientConfig(plan, namespace, '/inject');
  const reinvocation = plan.webhooks.reinvocationPolicy;
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
      [sel('istio.io/rev', 'In', [selectorRev]), sel('istio-injection', 'DoesNotExist')],
      [notFalse],
    ),
    hook(
      'rev.object.sidecar-injector.istio.io',
      [sel('istio.io/rev', 'DoesNotExist'), sel('istio-injection', 'DoesNotExist')],
      [notFalse, sel('istio.io/rev', 'In', [selectorRev])],
    ),
  ];
  if (!withDefault) return webhooks;
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
  if (plan.webhooks.enableNamespacesByDefault) {
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
  return webhooks;
}

/** A webhook configuration: its kind, name, labels and webhooks. */
function configuration(
  kind: 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration',
  name: string,
  labels: Record<string, string>,
  webhooks: JsonObject[],
): K8sObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind,
    metadata: { name, labels },
    webhooks,
  };
}

/** The labels of istiod's validating configurations for revision `rev`. */
const validatorLabels = (rev: string) => ({
  app: 'istiod',
  istio: 'istiod',
  'istio.io/rev': rev,
  release: 'istio',
});

/**
 * A webhook validating Istio config through `clientConfig`. It fails open
 * (Ignore) so installing never blocks on a not-yet-ready istiod; istiod
 * switches its own to Fail once it serves.
 */
function configValidation(
  name: string,
  clientConfig: JsonObject,
  more: JsonObject = {},
): JsonObject {
  return {
    name,
    clientConfig,
    rules: [CONFIG_RULE],
    failurePolicy: 'Ignore',
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    ...more,
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
  return configuration(
    'MutatingWebhookConfiguration',
    mutatingWebhookName(plan.revision, namespace),
    { app: 'sidecar-injector', 'istio.io/rev': rev, release: 'istio' },
    injectorHooks(plan, namespace, rev, !plan.revision),
  );
}

/**
 * Revision tags (`values.revisionTags`): for each tag T an injector webhook
 * configuration `istio-revision-tag-T` that sends pods labelled (or in
 * namespaces labelled) `istio.io/rev=T` to this revision's istiod. Tag
 * `default` also takes over `istio-injection=enabled` and
 * `sidecar.istio.io/inject=true`, which is how a canary becomes the default.
 */
export function renderRevisionTags(plan: RenderPlan, namespace: string): K8sObject[] {
  return revisionTagsOf(plan).map((tag) => renderRevisionTag(plan, namespace, tag));
}

/** `values.revisionTags`, as strings. */
export function revisionTagsOf(plan: RenderPlan): string[] {
  return plan.webhooks.revisionTags;
}

/** The name of tag T's webhook configuration: `istio-revision-tag-T[-<ns>]`. */
export function revisionTagName(tag: string, namespace: string): string {
  return `istio-revision-tag-${tag}${namespace === 'istio-system' ? '' : `-${namespace}`}`;
}

/** The injector webhook configuration of one revision tag (see {@link renderRevisionTags}). */
export function renderRevisionTag(plan: RenderPlan, namespace: string, tag: string): K8sObject {
  return configuration(
    'MutatingWebhookConfiguration',
    revisionTagName(tag, namespace),
    {
      app: 'sidecar-injector',
      'istio.io/rev': revLabel(plan.revision),
      'istio.io/tag': tag,
      release: 'istio',
    },
    injectorHooks(plan, namespace, tag, tag === 'default'),
  );
}

/**
 * The default-revision validator `istiod-default-validator` (Base, rendered
 * when `values.defaultRevision` is set; `dflt` names another revision):
 * validates Istio config carrying no revision label, through the default
 * revision's istiod.
 */
export function renderDefaultValidator(
  plan: RenderPlan,
  namespace: string,
  dflt = plan.webhooks.defaultRevision,
): K8sObject[] {
  if (!dflt) return [];
  const service = {
    name: istiodName(dflt === 'default' ? '' : dflt),
    namespace,
    path: '/validate',
  };
  return [
    configuration(
      'ValidatingWebhookConfiguration',
      'istiod-default-validator',
      validatorLabels(dflt),
      [configValidation('validation.istio.io', { service })],
    ),
  ];
}

/**
 * ValidatingWebhookConfiguration for Istio config. It starts with
 * failurePolicy Ignore so installing never blocks on a not-yet-ready
 * istiod; istiod switches it to Fail once it serves.
 */
export function renderValidatingWebhook(plan: RenderPlan, namespace: string): K8sObject {
  const rev = revLabel(plan.revision);
  return configuration(
    'ValidatingWebhookConfiguration',
    validatingWebhookName(plan.revision, namespace),
    validatorLabels(rev),
    [
      configValidation('rev.validation.istio.io', clientConfig(plan, namespace, '/validate'), {
        objectSelector: { matchExpressions: [sel('istio.io/rev', 'In', [rev])] },
      }),
    ],
  );
}
