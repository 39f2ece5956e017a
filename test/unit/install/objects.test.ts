import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { WATCHED_KINDS } from '../../../src/apply/kinds.js';
import { operatorObjects } from '../../../src/install/objects.js';
import { operatorClusterRules, type PolicyRule } from '../../../src/install/rbac.js';
import { runCli } from '../../support/cli.js';

const allows = (rules: PolicyRule[], group: string, resource: string, verb: string) =>
  rules.some(
    (r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb),
  );

describe('operator install objects', () => {
  it('grants exactly the verbs the operator uses on every managed kind, derived from the watch table', () => {
    const rules = operatorClusterRules();
    for (const k of WATCHED_KINDS) {
      const group = k.apiVersion.includes('/') ? k.apiVersion.split('/')[0]! : '';
      for (const verb of ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete']) {
        assert.ok(allows(rules, group, k.plural, verb), `${verb} ${k.plural}.${group}`);
      }
    }
    assert.ok(allows(rules, 'install.istio.io', 'istiooperators/status', 'update'));
    assert.ok(allows(rules, 'install.istio.io', 'istiooperators/finalizers', 'update'));
    assert.ok(allows(rules, '', 'events', 'create'));
    assert.equal(
      allows(rules, 'install.istio.io', 'istiooperators', 'delete'),
      false,
      'never deletes IstioOperators',
    );
    assert.equal(allows(rules, '', 'secrets', 'get'), false, 'no access to Secrets');
  });

  it('uses no wildcard anywhere', () => {
    for (const o of operatorObjects()) {
      for (const r of (o as { rules?: PolicyRule[] }).rules ?? []) {
        assert.ok(![...r.apiGroups, ...r.resources, ...r.verbs].includes('*'), JSON.stringify(r));
      }
    }
  });

  it('runs the operator non-root on a read-only root filesystem with no capabilities', () => {
    const dep = operatorObjects().find((o) => o.kind === 'Deployment') as V1Deployment;
    const pod = dep.spec!.template.spec!;
    const c = pod.containers[0]!;
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault');
    assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL']);
    assert.equal(c.livenessProbe?.httpGet?.path, '/healthz');
    assert.equal(c.readinessProbe?.httpGet?.path, '/readyz');
    assert.deepEqual(c.args?.slice(0, 2), ['run', '--leader-elect']);
  });

  it('takes the image, namespaces and pull secrets from the options', () => {
    const objs = operatorObjects({
      image: 'registry.example.com/op:1',
      operatorNamespace: 'ops',
      watchedNamespaces: ['istio-system', 'istio-ingress'],
      imagePullSecrets: ['regcred'],
    });
    const dep = objs.find((o) => o.kind === 'Deployment') as V1Deployment;
    assert.equal(dep.metadata?.namespace, 'ops');
    assert.equal(dep.spec!.template.spec!.containers[0]!.image, 'registry.example.com/op:1');
    assert.deepEqual(dep.spec!.template.spec!.imagePullSecrets, [{ name: 'regcred' }]);
    const args = dep.spec!.template.spec!.containers[0]!.args!;
    assert.equal(args[args.indexOf('--watch-namespaces') + 1], 'istio-system,istio-ingress');
    assert.deepEqual(
      objs.filter((o: KubernetesObject) => o.kind === 'Namespace').map((o) => o.metadata?.name),
      ['ops', 'istio-system', 'istio-ingress'],
    );
    const crb = objs.find((o) => o.kind === 'ClusterRoleBinding') as {
      subjects: { namespace: string }[];
    };
    assert.equal(crb.subjects[0]!.namespace, 'ops');
  });

  it('applies the CRD before anything that needs it, and RBAC before the Deployment', () => {
    const kinds = operatorObjects().map((o) => o.kind);
    assert.ok(kinds.indexOf('CustomResourceDefinition') < kinds.indexOf('Deployment'));
    assert.ok(kinds.indexOf('ClusterRoleBinding') < kinds.indexOf('Deployment'));
  });

  it("gives the Deployment arguments the operator's own `run` command accepts", async () => {
    const dep = operatorObjects().find((o) => o.kind === 'Deployment') as V1Deployment;
    const args = dep.spec!.template.spec!.containers[0]!.args!;
    // Parsing succeeds and it gets as far as loading the kubeconfig.
    const r = await runCli([...args, '--kubeconfig', '/nonexistent/kubeconfig']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /nonexistent\/kubeconfig/);
    assert.doesNotMatch(r.stderr, /unknown option/);
  });

  it('names a revisioned operator after its revision and scopes it to that revision', () => {
    const objs = operatorObjects({ revision: 'canary' });
    const names = objs
      .filter((o) => o.kind !== 'Namespace' && o.kind !== 'CustomResourceDefinition')
      .map((o) => `${o.kind}/${o.metadata?.name}`);
    assert.deepEqual(names, [
      'ServiceAccount/istio-operator-canary',
      'ClusterRole/istio-operator-canary',
      'ClusterRoleBinding/istio-operator-canary',
      'Role/istio-operator-canary-leader-election',
      'RoleBinding/istio-operator-canary-leader-election',
      'Deployment/istio-operator-canary',
      'Service/istio-operator-canary-metrics',
    ]);
    const args = (objs.find((o) => o.kind === 'Deployment') as V1Deployment).spec!.template.spec!
      .containers[0]!.args!;
    assert.equal(args[args.indexOf('--revision') + 1], 'canary');
    assert.equal(args[args.indexOf('--leader-election-id') + 1], 'istio-operator-canary-leader');
  });
});
