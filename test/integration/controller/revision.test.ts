import assert from 'node:assert/strict';
import { waitFor } from '../../../src/cluster/health.js';
import type { OperatorManager } from '../../../src/controller/manager.js';
import { iopRef, operatorEnv, type OperatorEnv, deploymentRef } from '../../support/operator.js';

describe('operator: one operator per revision (--revision)', function () {
  let env: OperatorEnv;
  let ns: string;
  const managers: OperatorManager[] = [];

  before(async function () {
    this.timeout(30 * 60_000);
    env = await operatorEnv();
    ns = await env.namespace('rev');
  });

  after(async () => {
    for (const m of managers) await m.stop();
  });

  it('leaves IstioOperators of another revision alone, and reconciles its own', async () => {
    const stable = await env.startOperator([ns]);
    managers.push(stable);
    await env.client.apply({
      ...iopRef(ns, 'stable'),
      spec: { profile: 'minimal', namespace: ns },
    });
    await env.client.apply({
      ...iopRef(ns, 'canary'),
      spec: {
        profile: 'minimal',
        namespace: ns,
        revision: 'canary',
        components: { base: { enabled: false } },
      },
    });
    await waitFor(
      'stable HEALTHY',
      async () => (await env.getIop(ns, 'stable')).status?.status === 'HEALTHY',
      60_000,
      undefined,
      200,
    );
    await waitFor('quiet', async () => stable.isIdle(), 15_000, undefined, 50);
    const untouched = await env.getIop(ns, 'canary');
    assert.equal(
      untouched.status,
      undefined,
      'the default-revision operator wrote status on a canary IstioOperator',
    );
    assert.equal(untouched.metadata.finalizers, undefined);
    assert.equal(await env.exists(deploymentRef(ns, 'istiod-canary')), false);

    const canary = await env.startOperator([ns], { revision: 'canary' });
    managers.push(canary);
    await waitFor(
      'canary HEALTHY',
      async () => (await env.getIop(ns, 'canary')).status?.status === 'HEALTHY',
      60_000,
      undefined,
      200,
    );
    assert.equal(await env.exists(deploymentRef(ns, 'istiod-canary')), true);
    assert.equal(await env.exists(deploymentRef(ns, 'istiod')), true);

    // Each uninstalls only its own.
    await env.client.delete(iopRef(ns, 'canary'));
    await waitFor(
      'canary gone',
      async () => !(await env.exists(iopRef(ns, 'canary'))),
      30_000,
      undefined,
      200,
    );
    assert.equal(await env.exists(deploymentRef(ns, 'istiod-canary')), false);
    assert.equal(await env.exists(deploymentRef(ns, 'istiod')), true);
    await env.client.delete(iopRef(ns, 'stable'));
    await waitFor(
      'stable gone',
      async () => !(await env.exists(iopRef(ns, 'stable'))),
      30_000,
      undefined,
      200,
    );
  });
});
