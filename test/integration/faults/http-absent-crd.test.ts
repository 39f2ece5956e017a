import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { waitFor } from '../../../src/cluster/health.js';
import { Informer } from '../../../src/runtime/informer.js';
import { isNotFound } from '../../../src/kube/errors.js';
import { kubeRequest } from '../../../src/kube/request.js';
import type { ResourceType } from '../../../src/kube/resource.js';
import { useCluster } from '../../support/cluster.js';
import { FaultProxy } from '../../support/fault-proxy.js';

describe('faults: an informer for a type whose CRD is absent', function () {
  let kc: k8s.KubeConfig;
  let proxy: FaultProxy;
  let informer: Informer<k8s.KubernetesObject> | undefined;
  const group = `f${randomBytes(3).toString('hex')}.example.com`;
  const WIDGETS: ResourceType = {
    apiVersion: `${group}/v1`,
    kind: 'Widget',
    plural: 'widgets',
    namespaced: true,
  };
  const crdName = `widgets.${group}`;
  const crdPath = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crdName}`;
  const widgetLists = (from = 0) =>
    proxy.requests(from, Infinity, (r) => r.verb === 'list' && r.resource === 'widgets');

  before(async function () {
    this.timeout(30 * 60_000);
    kc = (await useCluster()).kubeConfig();
    proxy = new FaultProxy(kc);
    await proxy.start();
  });

  after(async () => {
    await informer?.stop();
    await proxy?.stop();
    await kubeRequest(kc, 'DELETE', crdPath).catch(() => undefined);
  });

  it('does not poll while the CRD is absent, lists once it is Established, and notices it go', async function () {
    this.timeout(120_000);
    // Backoff settings that would poll every half second if the absent type were retried like errors.
    informer = new Informer({
      kubeConfig: proxy.kubeConfig(),
      resource: WIDGETS,
      backoffBaseMs: 50,
      backoffMaxMs: 500,
    });
    const inf = informer;
    await inf.start();
    assert.equal(inf.hasSynced(), true, 'an absent type counts as synced (and empty)');
    assert.equal(inf.isAbsent(), true);
    await new Promise((r) => setTimeout(r, 5000));
    assert.equal(widgetLists().length, 1, 'one list in 5 s: no polling');
    const crdWatches = proxy.requests(
      0,
      Infinity,
      (r) => r.verb === 'watch' && r.selector === `metadata.name=${crdName}`,
    );
    assert.equal(crdWatches.length, 1, 'one watch for the CRD, held open');

    const created = proxy.now();
    await kubeRequest(kc, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: crdName },
      spec: {
        group,
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        ],
      },
    });
    await waitFor(
      'listed after the CRD appeared',
      async () => !inf.isAbsent(),
      30_000,
      undefined,
      50,
    );
    note(`listed ${proxy.now() - created} ms after the CRD was created`);
    await waitFor(
      'a Widget can be created',
      async () =>
        kubeRequest(kc, 'POST', `/apis/${group}/v1/namespaces/default/widgets`, {
          apiVersion: `${group}/v1`,
          kind: 'Widget',
          metadata: { name: 'w1', namespace: 'default' },
        }).then(
          () => true,
          (e: unknown) => (isNotFound(e) ? false : Promise.reject(e as Error)),
        ),
      30_000,
      undefined,
      100,
    );
    await waitFor('the Widget is cached', async () => !!inf.get('w1', 'default'), 30_000);

    // The CRD goes away again: so do its objects, and the informer waits again.
    await kubeRequest(kc, 'DELETE', crdPath);
    await waitFor(
      'absent again',
      async () => inf.isAbsent() && inf.list().length === 0,
      60_000,
      undefined,
      100,
    );
    const gone = proxy.now();
    await new Promise((r) => setTimeout(r, 3000));
    assert.ok(
      widgetLists(gone).length <= 1,
      `lists after the CRD went: ${widgetLists(gone).length}`,
    );
  });
});

function note(line: string): void {
  process.stderr.write(`      [absent-crd] ${line}\n`);
}
