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

  // With and without a revision and extra namespaces: every variant init can install.
  const variants = [
    operatorObjects(),
    operatorObjects({ revision: 'canary', watchedNamespaces: ['istio-system', 'istio-ingress'] }),
  ];

  it('uses no wildcard anywhere, and binds only its own roles', () => {
    for (const objs of variants) {
      const roles = objs.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');
      // Both the cluster-wide and the namespaced rules are looked at (not vacuous).
      assert.deepEqual(roles.map((o) => o.kind).sort(), ['ClusterRole', 'Role']);
      for (const o of roles) {
        const rules = (o as { rules?: (PolicyRule & Record<string, string[] | undefined>)[] })
          .rules!;
        assert.ok(rules.length > 0, `${o.kind} ${o.metadata?.name} has no rules`);
        for (const r of rules) {
          const words = [
            ...r.apiGroups,
            ...r.resources,
            ...r.verbs,
            ...(r.resourceNames ?? []),
            ...(r.nonResourceURLs ?? []),
          ];
          // '*' itself, and partial wildcards such as 'pods/*' or '/api/*'.
          assert.ok(!words.some((w) => w.includes('*')), JSON.stringify(r));
          assert.equal(r.nonResourceURLs, undefined, JSON.stringify(r));
        }
      }
      const ownRoles = new Set(roles.map((o) => `${o.kind}/${o.metadata?.name}`));
      for (const b of objs.filter((o) => o.kind?.endsWith('RoleBinding'))) {
        const ref = (b as { roleRef: { kind: string; name: string } }).roleRef;
        // Never cluster-admin, admin, edit or another pre-existing role.
        assert.ok(ownRoles.has(`${ref.kind}/${ref.name}`), `${b.metadata?.name} binds ${ref.name}`);
      }
    }
  });

  it('cannot read Secrets', () => {
    for (const objs of variants) {
      for (const o of objs.filter((x) => x.kind === 'ClusterRole' || x.kind === 'Role')) {
        for (const r of (o as { rules: PolicyRule[] }).rules) {
          assert.ok(
            !(r.apiGroups.includes('') && r.resources.some((x) => x.split('/')[0] === 'secrets')),
            `${o.kind} ${o.metadata?.name}: ${JSON.stringify(r)}`,
          );
        }
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

  it('leaves no container a way around it: every container, effective settings, no host access', () => {
    for (const objs of variants) {
      const pod = (objs.find((o) => o.kind === 'Deployment') as V1Deployment).spec!.template.spec!;
      const containers = [...(pod.initContainers ?? []), ...pod.containers];
      assert.ok(containers.length > 0);
      for (const c of containers) {
        const sc = c.securityContext ?? {};
        // A container's own setting wins over the pod's.
        assert.equal(sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, true, c.name);
        const uid = sc.runAsUser ?? pod.securityContext?.runAsUser;
        assert.ok(typeof uid === 'number' && uid > 0, `${c.name} runs as UID ${uid}`);
        const gid = sc.runAsGroup ?? pod.securityContext?.runAsGroup;
        assert.ok(typeof gid === 'number' && gid > 0, `${c.name} runs as GID ${gid}`);
        assert.equal(sc.readOnlyRootFilesystem, true, c.name);
        assert.equal(sc.allowPrivilegeEscalation, false, c.name);
        assert.notEqual(sc.privileged, true, c.name);
        assert.deepEqual(sc.capabilities?.add ?? [], [], c.name);
        assert.ok(sc.capabilities?.drop?.includes('ALL'), c.name);
      }
      assert.notEqual(pod.hostNetwork, true);
      assert.notEqual(pod.hostPID, true);
      assert.notEqual(pod.hostIPC, true);
      assert.deepEqual(
        (pod.volumes ?? []).filter((v) => v.hostPath).map((v) => v.name),
        [],
        'hostPath volumes',
      );
    }
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

  it('watches IstioOperators in every namespace by default, and still creates istio-system', () => {
    // examples/demo.yaml puts gateway IstioOperators in istio-ingress and istio-egress:
    // a default of istio-system alone left them unreconciled, without a word.
    const objs = operatorObjects();
    const dep = objs.find((o) => o.kind === 'Deployment') as V1Deployment;
    const args = dep.spec!.template.spec!.containers[0]!.args!;
    assert.equal(args.includes('--watch-namespaces'), false, args.join(' '));
    assert.deepEqual(
      objs.filter((o) => o.kind === 'Namespace').map((o) => o.metadata?.name),
      ['istio-operator', 'istio-system'],
    );
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
