import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { istioOperatorCrd, istioOperatorSchema } from '../../../src/api/schema/crd.js';
import type { JSONSchemaProps } from '../../../src/api/schema/props.js';
import { CRD_FILE, crdYaml } from '../../../scripts/write-crd.js';

type Node = { path: string; schema: JSONSchemaProps };

function walk(s: JSONSchemaProps, path: string, out: Node[] = []): Node[] {
  out.push({ path, schema: s });
  for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, `${path}.${k}`, out);
  if (s.additionalProperties) walk(s.additionalProperties, `${path}.*`, out);
  if (s.items) walk(s.items, `${path}[]`, out);
  return out;
}

const nodes = walk(istioOperatorSchema, '');
const at = (path: string) => {
  const n = nodes.find((x) => x.path === path);
  assert.ok(n, `no schema node at ${path}`);
  return n.schema;
};

// Where content is open-ended on purpose: Envoy/mesh config, free-form
// chart values, google.protobuf.Struct maps of the values API. Everything
// else must be typed. affinity, metrics[] and volumes[] are Kubernetes types
// the CRD leaves open only for its size: the validator checks them closed
// (test/unit/api/k8s-fields.test.ts).
const OPEN_ENDED = new Set([
  'affinity',
  'metrics[]',
  'securityContext',
  'volumes[]',
  'value',
  'meshConfig',
  'unvalidatedValues',
  'ztunnel',
  'gatewayClasses',
  'seccompProfile',
  'env',
  'podAnnotations',
  'podLabels',
  'daemonSetLabels',
  'deploymentLabels',
  'serviceAnnotations',
  'serviceAccountAnnotations',
  'annotations',
  'meshNetworks',
  'token',
  'templates',
  'injectedAnnotations',
  'envoyAccessLogService',
  'envoyMetricsService',
  'localityLbSetting',
  'ingress',
  'configVolumes[]',
  'additionalContainers[]',
  'ingressPorts[]',
  'extraContainerArgs[]',
  'certificates[]',
  'zvpn',
  'objectSelector',
]);

describe('IstioOperator CRD', () => {
  it('crds/ holds exactly what src/api/schema generates (run scripts/write-crd.ts after a change)', () => {
    assert.equal(readFileSync(CRD_FILE, 'utf8'), crdYaml());
  });

  it('is namespaced, v1alpha1, with short names iop and io and a status subresource', () => {
    const crd = istioOperatorCrd() as {
      metadata: { name: string };
      spec: {
        group: string;
        scope: string;
        names: { shortNames: string[]; kind: string; plural: string };
        versions: {
          name: string;
          subresources: unknown;
          additionalPrinterColumns: { name: string }[];
        }[];
      };
    };
    assert.equal(crd.metadata.name, 'istiooperators.install.istio.io');
    assert.equal(crd.spec.scope, 'Namespaced');
    assert.deepEqual(crd.spec.names.shortNames, ['iop', 'io']);
    assert.equal(crd.spec.versions.length, 1);
    assert.equal(crd.spec.versions[0]!.name, 'v1alpha1');
    assert.deepEqual(crd.spec.versions[0]!.subresources, { status: {} });
    assert.deepEqual(
      crd.spec.versions[0]!.additionalPrinterColumns.map((c) => c.name),
      ['Revision', 'Profile', 'Status', 'Ready', 'Age'],
    );
  });

  it('is structural: every node has a type, unless it is int-or-string or any value', () => {
    for (const { path, schema } of nodes) {
      if (
        schema['x-kubernetes-int-or-string'] ||
        (schema['x-kubernetes-preserve-unknown-fields'] && !schema.type)
      ) {
        continue;
      }
      assert.ok(schema.type, `${path || '<root>'} has no type`);
      if (schema.type === 'array') assert.ok(schema.items, `${path} is an array without items`);
      assert.ok(
        !(schema.properties && schema.additionalProperties),
        `${path} has both properties and additionalProperties`,
      );
    }
  });

  it('keeps x-kubernetes-preserve-unknown-fields only where content is open-ended', () => {
    const open = nodes.filter((n) => n.schema['x-kubernetes-preserve-unknown-fields']);
    for (const n of open) {
      const last = n.path.split('.').at(-1)!;
      assert.ok(OPEN_ENDED.has(last), `${n.path} is open-ended but not in the allow-list`);
      // The only open seccompProfile and securityContext are the gateways' chart values.
      if (last === 'seccompProfile' || last === 'securityContext') {
        assert.equal(n.path, `.spec.values.gateways.${last}`);
      }
    }
    for (const closed of [
      '.spec',
      '.spec.components',
      '.spec.components.pilot.k8s',
      '.spec.values',
      '.spec.values.global',
      '.spec.values.global.proxy',
      '.spec.values.pilot',
    ]) {
      assert.ok(!at(closed)['x-kubernetes-preserve-unknown-fields'], `${closed} must be closed`);
    }
  });

  it('types every k8s field of every component', () => {
    const k8sFields = [
      'affinity',
      'env',
      'hpaSpec',
      'imagePullPolicy',
      'nodeSelector',
      'podDisruptionBudget',
      'podAnnotations',
      'priorityClassName',
      'readinessProbe',
      'replicaCount',
      'resources',
      'service',
      'strategy',
      'tolerations',
      'serviceAnnotations',
      'securityContext',
      'volumes',
      'volumeMounts',
      'overlays',
    ];
    for (const c of [
      'base',
      'pilot',
      'cni',
      'ztunnel',
      'istiodRemote',
      'ingressGateways[]',
      'egressGateways[]',
    ]) {
      const k8s = at(`.spec.components.${c}.k8s`);
      assert.deepEqual(Object.keys(k8s.properties ?? {}).sort(), [...k8sFields].sort(), c);
    }
  });

  it('has CEL rules for revision, gateway names, gateway uniqueness, installPackagePath and compatibilityVersion', () => {
    const rules = (p: string) =>
      (at(p)['x-kubernetes-validations'] ?? []).map((r) => r.rule).join(' ');
    assert.match(rules('.spec.revision'), /matches/);
    assert.match(rules('.spec.compatibilityVersion'), /matches/);
    assert.match(rules('.spec'), /installPackagePath/);
    for (const list of ['ingressGateways', 'egressGateways']) {
      assert.match(rules(`.spec.components.${list}`), /exists_one/);
      assert.ok(
        at(`.spec.components.${list}`).maxItems,
        `${list} needs maxItems to bound CEL cost`,
      );
      assert.match(rules(`.spec.components.${list}[].name`), /matches/);
    }
  });

  it('gives status the InstallStatus states, componentStatus and standard conditions', () => {
    assert.deepEqual(at('.status.status').enum, [
      'NONE',
      'UPDATING',
      'RECONCILING',
      'HEALTHY',
      'ERROR',
      'ACTION_REQUIRED',
    ]);
    assert.deepEqual(Object.keys(at('.status.componentStatus.*').properties ?? {}), [
      'status',
      'error',
      'version',
    ]);
    assert.deepEqual(at('.status.conditions[]').required, [
      'type',
      'status',
      'lastTransitionTime',
      'reason',
      'message',
    ]);
    assert.equal(at('.status.observedGeneration').type, 'integer');
  });

  it('describes the fields kubectl explain shows', () => {
    for (const p of [
      '.spec.profile',
      '.spec.revision',
      '.spec.components.pilot.k8s',
      '.spec.components.pilot.k8s.replicaCount',
      '.spec.values',
    ]) {
      assert.ok(at(p).description, `${p} has no description`);
    }
  });
});
