import { istioCrdNames } from '../../../src/render/crds.js';
import { DEFAULT_RELEASE } from '../../../src/releases/catalog.js';
import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type RunningControlPlane } from '../../../src/cluster/controlplane.js';
import { waitFor } from '../../../src/cluster/health.js';
import { KubeClient } from '../../../src/kube/client.js';
import { describeKubeError } from '../../../src/kube/errors.js';
import { kubeRequest } from '../../../src/kube/request.js';
import { render } from '../../unit/render/helpers.js';

/** GET `path` from the API server with `accept`, as kubectl does for tables and OpenAPI. */
async function get(kc: k8s.KubeConfig, path: string, accept: string): Promise<unknown> {
  const url = new URL(kc.getCurrentCluster()!.server + path);
  const opts: import('node:https').RequestOptions = { method: 'GET', headers: { Accept: accept } };
  await kc.applyToHTTPSOptions(opts);
  return await new Promise((resolve, reject) => {
    const req = request(url, opts, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        res.statusCode === 200
          ? resolve(JSON.parse(body))
          : reject(new Error(`GET ${path}: ${res.statusCode} ${body.slice(0, 300)}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Istio's CRDs as rendered, applied alone to an API server of their own: no
 * IstioOperator, no istiod, no webhook of any kind, so everything below is
 * the API server's own doing (schema, CEL rules, printer columns).
 */
/** How many CRDs the default line renders (15 in 1.30). */
const LINE_CRDS = istioCrdNames(DEFAULT_RELEASE).length;

describe("Istio's CRDs on a real API server, without istiod", function () {
  this.timeout(15 * 60_000); // a cold run builds etcd and kube-apiserver first
  let cp: RunningControlPlane | undefined;
  let dir: string;
  let kc: k8s.KubeConfig;
  let client: KubeClient;
  const ns = 'default';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'istio-crds-'));
    cp = await startControlPlane({ dir, mode: 'minimal' });
    kc = cp.kubeConfig();
    client = new KubeClient(kc);
    const crds = render({ profile: 'minimal' }).objects.filter(
      (o) => o.kind === 'CustomResourceDefinition',
    );
    assert.equal(crds.length, LINE_CRDS);
    for (const crd of crds) await client.apply(crd as k8s.KubernetesObject);
    await waitFor(
      `the ${LINE_CRDS} Istio CRDs Established`,
      async () => {
        const list = await client.list({
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          plural: 'customresourcedefinitions',
          namespaced: false,
        });
        const ready = list.filter((c) =>
          (c as k8s.V1CustomResourceDefinition).status?.conditions?.some(
            (x) => x.type === 'Established' && x.status === 'True',
          ),
        );
        return ready.length === LINE_CRDS;
      },
      60_000,
    );
  });

  after(async () => {
    await cp?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const vs = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace: ns },
    spec,
  });
  const route = [{ destination: { host: 'reviews' } }];

  it('accepts a valid VirtualService and lists it with Istio’s columns (kubectl get vs)', async () => {
    await client.apply(vs('good', { hosts: ['reviews'], gateways: ['mesh'], http: [{ route }] }));
    const table = (await get(
      kc,
      `/apis/networking.istio.io/v1/namespaces/${ns}/virtualservices`,
      'application/json;as=Table;v=v1;g=meta.k8s.io',
    )) as { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
    assert.deepEqual(
      table.columnDefinitions.map((c) => c.name),
      ['Name', 'Gateways', 'Hosts', 'Age'],
    );
    assert.deepEqual(table.rows[0]!.cells.slice(0, 3), ['good', '["mesh"]', '["reviews"]']);
  });

  it('rejects a VirtualService that breaks a CEL rule, with the rule’s message', async () => {
    await assert.rejects(
      client.apply(vs('too-short', { hosts: ['reviews'], http: [{ route, timeout: '0.5ms' }] })),
      (err: unknown) => {
        const text = describeKubeError(err);
        assert.match(text, /422|Invalid/);
        assert.match(text, /spec\.http\[0\]\.timeout/);
        assert.match(text, /must be a valid duration greater than 1ms/);
        return true;
      },
    );
  });

  it('rejects a VirtualService whose fields have the wrong type (the schema is not open)', async () => {
    // A create, as `kubectl create` sends it.
    const path = `/apis/networking.istio.io/v1/namespaces/${ns}/virtualservices`;
    await assert.rejects(
      kubeRequest(kc, 'POST', path, vs('wrong-type', { hosts: 'reviews' })),
      (err: unknown) => {
        assert.match(
          describeKubeError(err),
          /spec\.hosts: Invalid value: "string".*must be of type array/,
        );
        return true;
      },
    );
  });

  it('publishes the schema kubectl explain reads: spec.http with its fields', async () => {
    const doc = (await get(kc, '/openapi/v3/apis/networking.istio.io/v1', 'application/json')) as {
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const schema = doc.components.schemas['io.istio.networking.v1.VirtualService'];
    assert.ok(schema, 'VirtualService is in the OpenAPI document');
    const spec = schema.properties?.spec as { properties?: Record<string, unknown> };
    const http = spec.properties?.http as { items?: { properties?: Record<string, unknown> } };
    for (const field of ['match', 'route', 'timeout', 'retries', 'fault', 'rewrite']) {
      assert.ok(http.items?.properties?.[field], `spec.http[].${field} is documented`);
    }
  });
});
