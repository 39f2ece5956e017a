import * as k8s from '@kubernetes/client-node';
import yaml from 'js-yaml';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { schemaDiagnostics } from '../../../src/api/schema-validator.js';
import { CRD_NAME } from '../../../src/api/schema/crd.js';
import { CRD_FILE } from '../../../scripts/write-crd.js';
import { ensureBinaries } from '../../../src/cluster/binaries.js';
import { waitFor } from '../../../src/cluster/health.js';
import { generateIstioOperator } from '../../../src/profiles/index.js';
import { ROOT } from '../../support/cli.js';
import { useCluster } from '../../support/cluster.js';

const run = promisify(execFile);
const GROUP = 'install.istio.io';
const VERSION = 'v1alpha1';
const PLURAL = 'istiooperators';

type Obj = Record<string, unknown>;

function fixture(kind: 'valid' | 'invalid', name: string): Obj {
  return yaml.load(readFileSync(join(ROOT, 'test', 'fixtures', kind, name), 'utf8')) as Obj;
}

/** The API server's answer to a create: the status code and message of a rejection. */
async function rejection(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof k8s.ApiException) {
      const body = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as {
        message?: string;
      };
      return { code: e.code, message: body.message ?? String(e.body) };
    }
    throw e;
  }
  assert.fail('the API server accepted an invalid IstioOperator');
}

describe('IstioOperator CRD on a real API server', function () {
  let kc: k8s.KubeConfig;
  let kubeconfigPath: string;
  let custom: k8s.CustomObjectsApi;
  let core: k8s.CoreV1Api;
  let ns: string;
  let kubectl: string;

  const create = (name: string, spec: unknown, status?: unknown) =>
    custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns,
      plural: PLURAL,
      fieldValidation: 'Strict',
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'IstioOperator',
        metadata: { name },
        spec,
        ...(status ? { status } : {}),
      },
    }) as Promise<Obj>;

  before(async function () {
    this.timeout(30 * 60_000); // the first run builds the binaries
    const cp = await useCluster();
    kc = cp.kubeConfig();
    kubeconfigPath = cp.kubeconfig;
    custom = kc.makeApiClient(k8s.CustomObjectsApi);
    core = kc.makeApiClient(k8s.CoreV1Api);
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    // Installed the way a user installs it. (client-node's typed
    // createCustomResourceDefinition would silently drop the raw
    // x-kubernetes-* keys: it serialises by its own camelCase model names.)
    kubectl = (await ensureBinaries(['kubectl'])).kubectl;
    await run(kubectl, [
      '--kubeconfig',
      kubeconfigPath,
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager',
      'istio-operator-test',
      '-f',
      CRD_FILE,
    ]);
    await waitFor(
      'IstioOperator CRD Established',
      async () => {
        const c = await ext.readCustomResourceDefinition({ name: CRD_NAME });
        return !!c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True');
      },
      30_000,
    );
    ns = `iop-crd-${randomBytes(3).toString('hex')}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
  });

  after(async () => {
    if (ns) await core.deleteNamespace({ name: ns }).catch(() => undefined);
  });

  it('installs and becomes Established with the iop short name', async () => {
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    const c = await ext.readCustomResourceDefinition({ name: CRD_NAME });
    assert.deepEqual(c.spec.names.shortNames, ['iop', 'io']);
    assert.equal(c.status?.acceptedNames?.kind, 'IstioOperator');
  });

  it('accepts a full Istio 1.27 IstioOperator unchanged (nothing pruned)', async () => {
    const spec = fixture('valid', 'istioctl-127-production.yaml').spec;
    const got = await create('production', spec);
    assert.deepEqual(got.spec, spec);
  });

  it('accepts every valid fixture, including 1.23-era files', async () => {
    for (const name of [
      'ambient-revision.yaml',
      'legacy-123-moved-values.yaml',
      'legacy-123-no-effect.yaml',
      'replicas-with-autoscaling.yaml',
      'gateway-privileged-port-as-root.yaml',
    ]) {
      const spec = fixture('valid', name).spec;
      const got = await create(name.replace('.yaml', ''), spec);
      assert.deepEqual(got.spec, spec, name);
    }
  });

  it('accepts the merged demo profile as produced by profile dump', async () => {
    const { iop } = generateIstioOperator({ files: [], set: [], profile: 'demo' });
    const got = await create('demo', iop.spec);
    assert.deepEqual(got.spec, JSON.parse(JSON.stringify(iop.spec)));
  });

  const rejected: { what: string; spec: unknown; code: number; message: RegExp }[] = [
    {
      what: 'an unknown spec field',
      spec: { revison: 'canary' },
      code: 400,
      message: /unknown field "spec\.revison"/,
    },
    {
      what: 'a removed component',
      spec: { components: { citadel: { enabled: true } } },
      code: 400,
      message: /unknown field "spec\.components\.citadel"/,
    },
    {
      what: 'an unknown values key',
      spec: { values: { global: { proxy: { accessLogFil: '/dev/stdout' } } } },
      code: 400,
      message: /unknown field "spec\.values\.global\.proxy\.accessLogFil"/,
    },
    {
      what: 'a revision that is not a DNS-1123 label',
      spec: { revision: 'Canary_1' },
      code: 422,
      message: /spec\.revision: Invalid value.*revision must be a DNS-1123 label/,
    },
    {
      what: 'duplicate ingress gateway names',
      spec: {
        components: {
          ingressGateways: [{ name: 'istio-ingressgateway' }, { name: 'istio-ingressgateway' }],
        },
      },
      code: 422,
      message: /spec\.components\.ingressGateways: .*gateway names must be unique within the list/,
    },
    {
      what: 'an invalid gateway name',
      spec: { components: { egressGateways: [{ name: 'My_Gateway' }] } },
      code: 422,
      message: /spec\.components\.egressGateways\[0\]\.name: .*lower case letters/,
    },
    {
      what: 'a string where an integer belongs',
      spec: { components: { pilot: { k8s: { replicaCount: 'three' } } } },
      code: 422,
      message:
        /spec\.components\.pilot\.k8s\.replicaCount: Invalid value: "string".*must be of type integer/,
    },
    {
      what: 'a float tag',
      spec: { tag: 1.27 },
      code: 422,
      message: /spec\.tag/,
    },
    {
      what: 'a string where a boolean belongs in values',
      spec: { values: { pilot: { autoscaleEnabled: 'no' } } },
      code: 422,
      message:
        /spec\.values\.pilot\.autoscaleEnabled: Invalid value: "string".*must be of type boolean/,
    },
    {
      what: 'installPackagePath',
      spec: { installPackagePath: '/tmp/manifests' },
      code: 422,
      message: /spec\.installPackagePath: Forbidden: installPackagePath is not supported/,
    },
    {
      what: 'an out-of-range service port',
      spec: {
        components: {
          ingressGateways: [{ name: 'gw', k8s: { service: { ports: [{ port: 80000 }] } } }],
        },
      },
      code: 422,
      message: /ports\[0\]\.port: Invalid value: 80000/,
    },
  ];

  for (const r of rejected) {
    it(`rejects ${r.what} with the schema error`, async () => {
      const got = await rejection(create(`bad-${randomBytes(3).toString('hex')}`, r.spec));
      assert.equal(got.code, r.code, got.message);
      assert.match(got.message, r.message);
    });
  }

  // Errors of the validator that come from a CEL rule in the CRD (the API
  // server runs the rule; the validator runs its twin in semantic.ts).
  const CEL_TWINS = [
    /^spec\.revision: is not a DNS-1123 label/,
    /^spec\.components\.\w+Gateways\[\d+\]\.name: (is not a valid gateway name|duplicate gateway name)/,
    /^spec\.installPackagePath: /,
    /^spec\.compatibilityVersion: must be major\.minor/,
  ];

  it('agrees with the validator on every invalid fixture: the API server rejects exactly the schema and CEL errors', async () => {
    const dir = join(ROOT, 'test', 'fixtures', 'invalid');
    const disagreements: string[] = [];
    const seen = { rejected: 0, accepted: 0 };
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      const text = readFileSync(join(dir, name), 'utf8');
      const docs = yaml.loadAll(text) as Obj[];
      const doc = docs[0];
      if (docs.length !== 1 || doc?.kind !== 'IstioOperator') continue; // file-level errors
      const expected = [...text.matchAll(/^# expect-error: (.+?) :: (.+)$/gm)].map(
        (m) => `${m[1]}: ${m[2]}`,
      );
      const structural = schemaDiagnostics(doc).length > 0;
      const cel = expected.some((e) => CEL_TWINS.some((re) => re.test(e)));
      let apiRejected: boolean;
      try {
        await create(`fx-${randomBytes(3).toString('hex')}`, doc.spec);
        apiRejected = false;
      } catch (e) {
        if (!(e instanceof k8s.ApiException)) throw e;
        apiRejected = true;
      }
      seen[apiRejected ? 'rejected' : 'accepted']++;
      if (apiRejected !== (structural || cel)) {
        disagreements.push(
          `${name}: API server ${apiRejected ? 'rejects' : 'accepts'}, validator schema/CEL part ${structural || cel ? 'rejects' : 'accepts'}`,
        );
      }
    }
    assert.deepEqual(disagreements, []);
    // Both kinds occur, so the comparison is not vacuous.
    assert.ok(seen.rejected >= 25 && seen.accepted >= 8, JSON.stringify(seen));
  });

  it('accepts a valid status on the status subresource and rejects an unknown state', async () => {
    await create('with-status', { profile: 'minimal' });
    const patch = (status: unknown) =>
      custom.patchNamespacedCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          namespace: ns,
          plural: PLURAL,
          name: 'with-status',
          body: { status },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ) as Promise<Obj>;
    const ok = await patch({
      status: 'HEALTHY',
      componentStatus: { Pilot: { status: 'HEALTHY' } },
      observedGeneration: 1,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Installed',
          message: 'all components are healthy',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    });
    assert.equal((ok.status as Obj).status, 'HEALTHY');
    const bad = await rejection(patch({ status: 'GREAT' }));
    assert.equal(bad.code, 422);
    assert.match(bad.message, /status\.status: Unsupported value: "GREAT"/);
  });

  it('lets kubectl explain nested fields', async () => {
    const explain = async (what: string) =>
      (await run(kubectl, ['--kubeconfig', kubeconfigPath, 'explain', what])).stdout;
    // The OpenAPI document is published shortly after the CRD is Established.
    let out = '';
    await waitFor(
      'IstioOperator in the OpenAPI document',
      async () => {
        try {
          out = await explain('iop.spec.components.pilot.k8s');
          return true;
        } catch {
          return false;
        }
      },
      30_000,
      undefined,
      500,
    );
    assert.match(out, /KIND:\s+IstioOperator/);
    assert.match(out, /replicaCount\s+<integer>/);
    assert.match(out, /hpaSpec\s+<Object>/);
    assert.match(out, /Kubernetes settings applied to the component objects/);
    const proxy = await explain('istiooperators.spec.values.global.proxy.includeIPRanges');
    assert.match(proxy, /Comma-separated CIDRs/);
    const gw = await explain('iop.spec.components.ingressGateways.name');
    assert.match(gw, /Gateway name/);
  });
});
