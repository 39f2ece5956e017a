import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { waitFor } from '../../../src/cluster/health.js';
import type { OperatorManager } from '../../../src/controller/manager.js';
import { useCluster } from '../../support/cluster.js';
import { runCli } from '../../support/cli.js';
import { iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';

describe('istio-operator diff (server-side dry run against the real control plane)', function () {
  let env: OperatorEnv;
  let manager: OperatorManager;
  let ns: string;
  let kubeconfig: string;
  let dir: string;
  const spec = () => ({ profile: 'minimal', namespace: ns });

  const fileWith = async (name: string, s: object) => {
    const path = join(dir, name);
    await writeFile(path, yaml.dump({ ...iopRef(ns, 'cp'), spec: s }));
    return path;
  };

  before(async function () {
    this.timeout(30 * 60_000);
    env = await operatorEnv();
    kubeconfig = (await useCluster()).kubeconfig;
    dir = await mkdtemp(join(tmpdir(), 'diff-'));
    ns = await env.namespace('diff');
    manager = await env.startOperator([ns]);
    await env.client.apply({ ...iopRef(ns, 'cp'), spec: spec() });
    await waitFor(
      'HEALTHY',
      async () => (await env.getIop(ns, 'cp')).status?.status === 'HEALTHY',
      60_000,
      undefined,
      200,
    );
    await waitFor('quiet', async () => manager.isIdle(), 15_000, undefined, 50);
  });

  after(async () => {
    await env.client.delete(iopRef(ns, 'cp'));
    await env.uninstalled(ns, 'cp', 30_000);
    await manager.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports nothing to do for what is installed (exit 0)', async () => {
    const r = await runCli([
      'diff',
      '--kubeconfig',
      kubeconfig,
      '-f',
      await fileWith('same.yaml', spec()),
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^0 to create, 0 to change, 0 to prune, \d+ unchanged$/m);
  });

  it('shows field-level changes, new objects and prunes, and changes nothing (exit 1)', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: ns } };
    const before = (await env.client.get(cm)).metadata?.resourceVersion;
    const changed = await fileWith('changed.yaml', {
      ...spec(),
      meshConfig: { accessLogFile: '/dev/stdout' },
      components: {
        ingressGateways: [{ name: 'istio-ingressgateway', enabled: true, namespace: ns }],
      },
    });
    const r = await runCli(['diff', '--kubeconfig', kubeconfig, '-f', changed]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, new RegExp(`^~ ConfigMap ${ns}/istio$`, 'm'));
    assert.match(r.stdout, /^ {4}data\.mesh: .*→ .*accessLogFile/m);
    assert.match(r.stdout, new RegExp(`^\\+ Deployment ${ns}/istio-ingressgateway$`, 'm'));
    assert.equal(
      (await env.client.get(cm)).metadata?.resourceVersion,
      before,
      'dry run changed nothing',
    );

    const empty = await fileWith('empty.yaml', { profile: 'empty', namespace: ns });
    const p = await runCli(['diff', '--kubeconfig', kubeconfig, '-f', empty]);
    assert.equal(p.code, 1);
    assert.match(p.stdout, new RegExp(`^- Deployment ${ns}/istiod$`, 'm'));
    assert.doesNotMatch(p.stdout, /^- CustomResourceDefinition/m, 'CRDs are never pruned');
  });
});
