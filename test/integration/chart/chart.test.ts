import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { deploymentRef } from '../../support/operator.js';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { ensureBinaries } from '../../../src/cluster/binaries.js';
import { waitFor } from '../../../src/cluster/health.js';
import { operatorObjects } from '../../../src/install/objects.js';
import { KubeClient } from '../../../src/kube/client.js';
import { useCluster } from '../../support/cluster.js';
import { ROOT } from '../../support/cli.js';

const run = promisify(execFile);
const CHART = join(ROOT, 'charts', 'istio-operator');

describe('Helm chart (real Helm, built from the module proxy)', function () {
  let helm: string;

  before(async function () {
    this.timeout(30 * 60_000); // builds Helm on first use
    helm = (
      await ensureBinaries(['helm'], {
        onProgress: (l) => process.stderr.write(`      [helm] ${l}\n`),
      })
    ).helm;
  });

  const template = async (...args: string[]) => {
    const { stdout } = await run(helm, [
      'template',
      'op',
      CHART,
      '--namespace',
      'istio-operator',
      // Offline, Helm assumes Kubernetes 1.20 (its default capabilities).
      '--kube-version',
      '1.34.4',
      ...args,
    ]);
    return (yaml.loadAll(stdout) as KubernetesObject[]).filter(Boolean);
  };
  const key = (o: KubernetesObject) =>
    `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;

  it('passes helm lint', async () => {
    const { stdout } = await run(helm, ['lint', CHART]);
    assert.match(stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('ships the same CRD as crds/ (so Helm installs it first and never deletes it)', () => {
    const file = 'istiooperators.install.istio.io.yaml';
    assert.equal(
      readFileSync(join(CHART, 'crds', file), 'utf8'),
      readFileSync(join(ROOT, 'crds', file), 'utf8'),
    );
  });

  for (const revision of ['', 'canary']) {
    it(`renders the same objects, RBAC, args and security settings as init --dry-run${revision ? ` (revision ${revision})` : ''}`, async () => {
      const chart = await template(
        '--set',
        'watchedNamespaces={istio-system,istio-ingress}',
        ...(revision ? ['--set', `revision=${revision}`] : []),
      );
      const init = operatorObjects({
        operatorNamespace: 'istio-operator',
        watchedNamespaces: ['istio-system', 'istio-ingress'],
        ...(revision ? { revision } : {}),
      }).filter((o) => o.kind !== 'Namespace' && o.kind !== 'CustomResourceDefinition');
      assert.deepEqual(chart.map(key).sort(), init.map(key).sort());
      for (const o of init) {
        const c = chart.find((x) => key(x) === key(o))!;
        for (const field of ['rules', 'roleRef', 'subjects']) {
          assert.deepEqual(
            (c as Record<string, unknown>)[field],
            (o as Record<string, unknown>)[field],
            `${key(o)} ${field}`,
          );
        }
      }
      const cd = chart.find((o) => o.kind === 'Deployment') as V1Deployment;
      const id = init.find((o) => o.kind === 'Deployment') as V1Deployment;
      const cc = cd.spec!.template.spec!.containers[0]!;
      const ic = id.spec!.template.spec!.containers[0]!;
      assert.deepEqual(cc.args, ic.args);
      assert.deepEqual(cc.securityContext, ic.securityContext);
      assert.deepEqual(
        cd.spec!.template.spec!.securityContext,
        id.spec!.template.spec!.securityContext,
      );
      assert.deepEqual(cc.ports, ic.ports);
      assert.deepEqual(cc.livenessProbe, ic.livenessProbe);
      assert.deepEqual(cc.readinessProbe, ic.readinessProbe);
      assert.deepEqual(cc.resources, ic.resources);
      assert.equal(cc.image, ic.image);
    });
  }

  it('watches every namespace by default, with the same container args as init --dry-run', async () => {
    const chart = await template();
    const init = operatorObjects({ operatorNamespace: 'istio-operator' });
    const args = (objs: KubernetesObject[]) =>
      (objs.find((o) => o.kind === 'Deployment') as V1Deployment).spec!.template.spec!
        .containers[0]!.args!;
    assert.deepEqual(args(chart), args(init));
    assert.equal(args(chart).includes('--watch-namespaces'), false, args(chart).join(' '));
  });

  it('installs with helm install and the operator Deployment becomes available', async function () {
    this.timeout(180_000);
    const cp = await useCluster();
    const ns = `helm-${randomBytes(3).toString('hex')}`;
    const env = {
      ...process.env,
      KUBECONFIG: cp.kubeconfig,
      HELM_CACHE_HOME: join(cp.dir, 'helm-cache'),
      HELM_CONFIG_HOME: join(cp.dir, 'helm-config'),
      HELM_DATA_HOME: join(cp.dir, 'helm-data'),
    };
    await run(
      helm,
      [
        'install',
        'op',
        CHART,
        '--namespace',
        ns,
        '--create-namespace',
        '--set',
        `watchedNamespaces={${ns}}`,
      ],
      { env },
    );
    const client = new KubeClient(cp.kubeConfig());
    await waitFor(
      'operator Deployment available',
      async () =>
        ((await client.get(deploymentRef(ns, 'istio-operator'))) as V1Deployment).status
          ?.availableReplicas === 1,
      90_000,
      undefined,
      250,
    );
    await run(helm, ['uninstall', 'op', '--namespace', ns], { env });
    // Helm never deletes crds/: the IstioOperator CRD survives the uninstall.
    await client.get({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'istiooperators.install.istio.io' },
    });
  });
});
