import assert from 'node:assert/strict';
import type { IstioOperator } from '../../../src/api/types.js';
import { formatStatus, statusRows, unhealthy } from '../../../src/cli/status-table.js';
import type { OperatorInstance } from '../../../src/install/coverage.js';

const iop = (name: string, generation: number, status: IstioOperator['status']): IstioOperator => ({
  apiVersion: 'install.istio.io/v1alpha1',
  kind: 'IstioOperator',
  metadata: { name, namespace: 'istio-system', generation },
  spec: { profile: 'demo' },
  ...(status ? { status } : {}),
});

describe('status view', () => {
  const healthy = iop('control-plane', 2, {
    status: 'HEALTHY',
    observedGeneration: 2,
    message: 'all components healthy',
    componentStatus: {
      Base: { status: 'HEALTHY', version: '1.27.9' },
      Pilot: { status: 'HEALTHY', version: '1.27.9' },
    },
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'Installed',
        message: '',
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ],
  });
  const broken = iop('gateways', 3, {
    status: 'ERROR',
    observedGeneration: 2,
    message: 'spec.components.ingressGateways[0].name: bad',
    componentStatus: { IngressGateways: { status: 'ERROR', error: 'apply failed' } },
  });
  const counts = new Map([
    [
      'istio-system/control-plane',
      new Map([
        ['Base', 15],
        ['Pilot', 18],
      ]),
    ],
  ]);

  it('lists IstioOperators sorted, with Ready, revision, profile, version and object counts', () => {
    const rows = statusRows([broken, healthy], counts);
    assert.deepEqual(
      rows.map((r) => [r.name, r.status, r.ready, r.revision, r.profile, r.version]),
      [
        ['control-plane', 'HEALTHY', 'True', 'default', 'demo', '1.27.9'],
        ['gateways', 'ERROR (stale)', 'Unknown', 'default', 'demo', ''],
      ],
    );
    assert.deepEqual(
      rows[0]!.components.map((c) => [c.name, c.objects]),
      [
        ['Base', 15],
        ['Pilot', 18],
      ],
    );
  });

  it('prints a table and explains what is not healthy', () => {
    const out = formatStatus(statusRows([healthy, broken], counts));
    assert.match(out, /^NAMESPACE\/NAME\s+STATUS\s+READY\s+REVISION\s+PROFILE\s+VERSION$/m);
    assert.match(
      out,
      /^istio-system\/control-plane\s+HEALTHY\s+True\s+default\s+demo\s+1\.27\.9$/m,
    );
    assert.match(out, /^ {2}Pilot\s+HEALTHY\s+18 objects$/m);
    assert.match(out, /^ {2}IngressGateways\s+ERROR\s+0 objects\s+error: apply failed$/m);
    assert.match(
      out,
      /^istio-system\/gateways: spec\.components\.ingressGateways\[0\]\.name: bad$/m,
    );
  });

  const deleting: IstioOperator = {
    ...healthy,
    metadata: {
      ...healthy.metadata,
      // Deletion bumps the generation: the status is not stale, it is pending deletion.
      generation: 3,
      deletionTimestamp: '2026-01-01T00:00:00Z',
      finalizers: ['istio-finalizer.install.istio.io'],
    },
  };
  const operator = (watch?: string[], available = 1): OperatorInstance => ({
    deployment: 'istio-operator/istio-operator',
    ...(watch ? { watchNamespaces: watch } : {}),
    available,
  });

  it('says when a deletion is pending with no operator to finish it, and how to finish it', () => {
    for (const operators of [[], [operator(undefined, 0)]]) {
      const rows = statusRows([deleting], counts, operators);
      assert.equal(rows[0]!.status, 'HEALTHY (deleting)');
      const out = formatStatus(rows);
      assert.match(
        out,
        /^istio-system\/control-plane: deletion pending, and no operator (runs|may run) to finish it/m,
      );
      assert.match(
        out,
        /^ {2}.*finish the uninstall here: istio-operator uninstall control-plane -n istio-system$/im,
      );
      assert.ok(unhealthy(rows[0]!));
    }
    const running = formatStatus(statusRows([deleting], counts, [operator()]));
    assert.match(running, /being deleted; the operator is uninstalling it/);
    assert.doesNotMatch(running, /istio-operator uninstall/);
  });

  it('names an IstioOperator no operator watches, and the fix', () => {
    const gateway: IstioOperator = {
      ...healthy,
      metadata: { ...healthy.metadata, name: 'ingress', namespace: 'istio-ingress' },
    };
    const rows = statusRows([gateway, healthy], counts, [operator(['istio-system'])]);
    const out = formatStatus(rows);
    assert.match(
      out,
      /^istio-ingress\/ingress: not reconciled: not watched: operator istio-operator\/istio-operator reconciles IstioOperators in istio-system only; add istio-ingress with `istio-operator init --watched-namespaces istio-system,istio-ingress`/m,
    );
    assert.deepEqual(
      rows.map((r) => [r.name, unhealthy(r)]),
      [
        ['ingress', true],
        ['control-plane', false],
      ],
    );
    // Operators unknown (not allowed to list Deployments): no guesses.
    assert.doesNotMatch(formatStatus(statusRows([gateway], counts)), /not reconciled/);
  });

  it('counts ERROR, stale and never-reconciled IstioOperators as unhealthy', () => {
    const rows = statusRows([broken, healthy, iop('new', 1, undefined)], counts, [operator()]);
    assert.deepEqual(
      rows.map((r) => [r.name, unhealthy(r)]),
      [
        ['control-plane', false],
        ['gateways', true],
        ['new', true],
      ],
    );
  });

  it('shows the restart of stale workloads the operator reports in status.proxies', () => {
    const restarting = iop('canary', 2, {
      ...healthy.status,
      proxies: {
        revision: 'canary',
        version: '1.27.9',
        pods: 4,
        stalePods: 2,
        staleWorkloads: 1,
        restart: {
          policy: 'batch=2,pause=30s',
          phase: 'RollingOut',
          message: 'waiting for Deployment app/web to roll out',
          restarted: 3,
        },
      },
    });
    const [row] = statusRows([restarting], new Map());
    assert.deepEqual(row!.restart, {
      phase: 'RollingOut',
      message: 'waiting for Deployment app/web to roll out',
      policy: 'batch=2,pause=30s',
      restarted: 3,
    });
    assert.match(
      formatStatus([row!]),
      /^istio-system\/canary: restart of stale workloads RollingOut \(batch=2,pause=30s\), 3 restarted: waiting for Deployment app\/web to roll out$/m,
    );
    assert.equal(statusRows([healthy], new Map())[0]!.restart, undefined);
  });

  it('says so when there is nothing', () => {
    assert.equal(formatStatus([]), 'No IstioOperators found.\n');
  });
});
