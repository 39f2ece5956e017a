import type { KubernetesObject } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { componentSteps, keepCreateOnly } from '../../../src/apply/applier.js';
import { applyWaves, presentDependencies } from '../../../src/apply/graph.js';
import { identity, type LiveState, type Owner } from '../../../src/apply/live.js';
import { pruneCandidates } from '../../../src/apply/prune.js';
import { componentReadiness, workloadReady } from '../../../src/apply/readiness.js';
import { isSubset, subsetDifferences } from '../../../src/apply/subset.js';
import { NOT_PRUNED_LABEL } from '../../../src/api/vocabulary.js';

const owner: Owner = { name: 'control-plane', namespace: 'istio-system' };

function ownedBy(o: Owner, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'operator.istio.io/managed': 'Reconcile',
    'install.operator.istio.io/owning-resource': o.name,
    'install.operator.istio.io/owning-resource-namespace': o.namespace,
    ...extra,
  };
}

function obj(
  apiVersion: string,
  kind: string,
  name: string,
  ns?: string,
  labels?: Record<string, string>,
  rest = {},
  /** Who wrote it (server-side apply field manager); owned objects default to the operator. */
  manager = 'istio-operator',
) {
  return {
    apiVersion,
    kind,
    metadata: {
      name,
      ...(ns ? { namespace: ns } : {}),
      ...(labels ? { labels } : {}),
      ...(labels ? { managedFields: [{ manager, operation: 'Apply' }] } : {}),
    },
    ...rest,
  } as KubernetesObject;
}

function liveOf(objects: KubernetesObject[]): LiveState {
  return {
    get: (apiVersion, kind, namespace, name) =>
      objects.find((o) => identity(o) === identity(obj(apiVersion, kind, name, namespace))),
    ownedBy: (o) =>
      objects.filter(
        (x) =>
          x.metadata?.labels?.['install.operator.istio.io/owning-resource'] === o.name &&
          x.metadata?.labels?.['install.operator.istio.io/owning-resource-namespace'] ===
            o.namespace,
      ),
    ownerExists: async () => true,
  };
}

describe('subset comparison (is the live object already as desired?)', () => {
  const cases: [string, unknown, unknown, boolean][] = [
    [
      'server defaults added inside list elements',
      { ports: [{ port: 80 }] },
      { ports: [{ port: 80, protocol: 'TCP' }] },
      true,
    ],
    ['a changed scalar', { spec: { image: 'a:1' } }, { spec: { image: 'a:2' } }, false],
    ['a list of different length', { args: ['a'] }, { args: ['a', 'b'] }, false],
    ['list order matters', { args: ['a', 'b'] }, { args: ['b', 'a'] }, false],
    ['a missing field', { data: { a: '1' } }, { data: {} }, false],
    ['an empty map the server dropped', { metadata: { annotations: {} } }, { metadata: {} }, true],
    [
      'an empty string the server omitted',
      { env: [{ name: 'PLATFORM', value: '' }] },
      { env: [{ name: 'PLATFORM' }] },
      true,
    ],
    ['false the server omitted', { readOnly: false }, {}, true],
    ['true missing live', { readOnly: true }, {}, false],
    ['extra live fields', { a: 1 }, { a: 1, b: 2 }, true],
    ['a number the server keeps as string', { port: 8080 }, { port: '8080' }, true],
    ['null against a value', { a: null }, { a: 1 }, false],
    [
      'a quantity the server canonicalized',
      { memory: '2048Mi', cpu: '1000m' },
      { memory: '2Gi', cpu: '1' },
      true,
    ],
    ['a different quantity', { memory: '2048Mi' }, { memory: '1Gi' }, false],
    ['non-quantity strings', { mode: 'ALLOW_ANY' }, { mode: 'REGISTRY_ONLY' }, false],
  ];
  for (const [name, desired, live, want] of cases) {
    it(`${want ? 'accepts' : 'rejects'} ${name}`, () =>
      assert.equal(isSubset(desired, live), want));
  }

  it('names the differing paths', () => {
    assert.deepEqual(
      subsetDifferences({ spec: { image: 'a:1', x: 1 } }, { spec: { image: 'a:2', x: 1 } }),
      ['spec.image'],
    );
  });
});

describe('apply order', () => {
  it('applies Base, then Pilot, then CNI and gateways together, then ztunnel', () => {
    assert.deepEqual(
      applyWaves(['Base', 'Pilot', 'Cni', 'Ztunnel', 'IngressGateways', 'EgressGateways']),
      [['Base'], ['Pilot'], ['Cni', 'IngressGateways', 'EgressGateways'], ['Ztunnel']],
    );
  });

  it("applies a component's objects in stages: roles, then bindings, then workloads, then webhooks; Services and CRDs beside them", () => {
    const kinds = [
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'ClusterRole',
      'ClusterRoleBinding',
      'ConfigMap',
      'Deployment',
      'Service',
      'MutatingWebhookConfiguration',
      'ValidatingAdmissionPolicyBinding',
      'ValidatingAdmissionPolicy',
      'CustomResourceDefinition',
      'PodDisruptionBudget',
      'HorizontalPodAutoscaler',
    ];
    const objects = kinds.map((k, i) => obj('v1', k, `o${i}`));
    const steps = componentSteps(objects);
    const kindsOf = (os: readonly { kind?: string }[]) => os.map((o) => o.kind);
    assert.deepEqual(
      steps.stages.map((s) => [s.stage, kindsOf(s.objects)]),
      [
        [0, ['ServiceAccount', 'Role', 'ClusterRole', 'ConfigMap', 'PodDisruptionBudget']],
        [1, ['RoleBinding', 'ClusterRoleBinding']],
        [2, ['Deployment', 'HorizontalPodAutoscaler']],
        [3, ['MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy']],
        [4, ['ValidatingAdmissionPolicyBinding']],
      ],
    );
    // Services go at once and are waited for only by the webhooks that call
    // them; CRDs go at once and no stage waits for them.
    assert.deepEqual(
      steps.early.map((e) => [e.before, kindsOf(e.objects)]),
      [
        [3, ['Service']],
        [Infinity, ['CustomResourceDefinition']],
      ],
    );
    const all = [...steps.stages, ...steps.early].flatMap((s) => s.objects);
    assert.equal(all.length, objects.length);
  });

  it('does not hold a gateway-only IstioOperator back for a Pilot it does not have', () => {
    assert.deepEqual(applyWaves(['IngressGateways']), [['IngressGateways']]);
    assert.deepEqual(presentDependencies('IngressGateways', ['IngressGateways']), []);
    assert.deepEqual(presentDependencies('Ztunnel', ['Base', 'Ztunnel']).sort(), ['Base']);
  });
});

describe('create-only webhook fields', () => {
  it('sends the live caBundle and failurePolicy that istiod set, matched by webhook name', () => {
    const desired = obj(
      'admissionregistration.k8s.io/v1',
      'ValidatingWebhookConfiguration',
      'istio-validator-istio-system',
      undefined,
      undefined,
      {
        webhooks: [
          {
            name: 'rev.validation.istio.io',
            failurePolicy: 'Ignore',
            clientConfig: { service: { name: 'istiod' } },
          },
        ],
      },
    );
    const live = obj(
      'admissionregistration.k8s.io/v1',
      'ValidatingWebhookConfiguration',
      'istio-validator-istio-system',
      undefined,
      undefined,
      {
        webhooks: [
          { name: 'other', failurePolicy: 'Ignore' },
          {
            name: 'rev.validation.istio.io',
            failurePolicy: 'Fail',
            clientConfig: { caBundle: 'Q0E=', service: { name: 'istiod' } },
          },
        ],
      },
    );
    const body = keepCreateOnly(desired, live) as unknown as {
      webhooks: { failurePolicy: string; clientConfig: { caBundle?: string } }[];
    };
    assert.equal(body.webhooks[0]!.failurePolicy, 'Fail');
    assert.equal(body.webhooks[0]!.clientConfig.caBundle, 'Q0E=');
    assert.equal(
      (desired as unknown as typeof body).webhooks[0]!.failurePolicy,
      'Ignore',
      'input untouched',
    );
  });

  it('leaves other kinds alone', () => {
    const cm = obj('v1', 'ConfigMap', 'istio', 'istio-system');
    assert.equal(keepCreateOnly(cm, cm), cm);
  });
});

describe('prune candidates', () => {
  const other: Owner = { name: 'gateways', namespace: 'istio-ingress' };
  const live = [
    obj('apps/v1', 'Deployment', 'istiod', 'istio-system', ownedBy(owner)),
    obj('apps/v1', 'Deployment', 'istio-egressgateway', 'istio-system', ownedBy(owner)),
    obj(
      'v1',
      'Service',
      'istio-egressgateway',
      'istio-system',
      ownedBy(owner, { [NOT_PRUNED_LABEL]: 'true' }),
    ),
    obj(
      'apiextensions.k8s.io/v1',
      'CustomResourceDefinition',
      'old.networking.istio.io',
      undefined,
      ownedBy(owner),
    ),
    obj('apps/v1', 'Deployment', 'istio-ingressgateway', 'istio-ingress', ownedBy(other)),
    obj('v1', 'ConfigMap', 'users-own', 'istio-system'),
    // The endpoints controller copies our Service's labels onto its Endpoints.
    obj(
      'v1',
      'Endpoints',
      'istio-egressgateway',
      'istio-system',
      ownedBy(owner),
      {},
      'kube-controller-manager',
    ),
  ];
  const desired = [obj('apps/v1', 'Deployment', 'istiod', 'istio-system')];

  it('prunes only undesired objects this IstioOperator owns and wrote; never CRDs, never not-pruned, never others', () => {
    assert.deepEqual(
      pruneCandidates(desired, liveOf(live), owner).map((o) => `${o.kind}/${o.metadata?.name}`),
      ['Deployment/istio-egressgateway'],
    );
  });
});

describe('readiness', () => {
  const dep = (status: object, replicas = 2) =>
    obj('apps/v1', 'Deployment', 'istiod', 'istio-system', undefined, {
      spec: { replicas },
      status,
    }) as KubernetesObject & { metadata: { generation?: number } };

  it('waits for the controller to observe the latest generation', () => {
    const d = dep({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 });
    d.metadata.generation = 2;
    assert.equal(workloadReady(d).ready, false);
  });

  it('is ready when all replicas are updated and available, and not while old ones linger', () => {
    const ok = dep({
      observedGeneration: 2,
      replicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
    });
    ok.metadata.generation = 2;
    assert.equal(workloadReady(ok).ready, true);
    const rolling = dep({
      observedGeneration: 2,
      replicas: 3,
      updatedReplicas: 2,
      availableReplicas: 2,
    });
    rolling.metadata.generation = 2;
    assert.equal(workloadReady(rolling).ready, false);
  });

  it('waits for CRDs to be Established, naming the first three, and not for CRDs it cannot see', () => {
    const crd = (name: string, established?: 'True' | 'False') =>
      obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', name, undefined, undefined, {
        status: established
          ? {
              conditions: [
                { type: 'NamesAccepted', status: 'True' },
                { type: 'Established', status: established },
              ],
            }
          : {},
      });
    const names = ['a.x.io', 'b.x.io', 'c.x.io', 'd.x.io', 'e.x.io', 'f.x.io'];
    const desired = names.map((n) => crd(n));
    const live = liveOf([
      crd('a.x.io', 'True'),
      crd('b.x.io', 'False'),
      crd('c.x.io'),
      crd('d.x.io', 'False'),
      crd('e.x.io', 'False'),
      // f.x.io: not in the caches (another installer's, left as it is): not waited for.
    ]);
    assert.deepEqual(componentReadiness(desired, live), {
      ready: false,
      waitingFor: ['4 CRDs to become Established: b.x.io, c.x.io, d.x.io and 1 more'],
    });
    assert.deepEqual(componentReadiness([crd('b.x.io')], live).waitingFor, [
      'CRD to become Established: b.x.io',
    ]);
    assert.deepEqual(componentReadiness([crd('a.x.io')], live), { ready: true, waitingFor: [] });
  });

  it('reports missing and unavailable workloads by name', () => {
    const desired = [
      obj('apps/v1', 'Deployment', 'istiod', 'istio-system'),
      obj('apps/v1', 'DaemonSet', 'ztunnel', 'istio-system'),
    ];
    const live = liveOf([
      obj('apps/v1', 'DaemonSet', 'ztunnel', 'istio-system', undefined, {
        status: { desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 1 },
      }),
    ]);
    assert.deepEqual(componentReadiness(desired, live), {
      ready: false,
      waitingFor: [
        'Deployment istio-system/istiod: not created yet',
        'DaemonSet istio-system/ztunnel: 1/3 available',
      ],
    });
  });
});
