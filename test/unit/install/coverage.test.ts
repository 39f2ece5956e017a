import assert from 'node:assert/strict';
import {
  coverageProblem,
  operatorFromDeployment,
  type OperatorInstance,
} from '../../../src/install/coverage.js';
import { operatorObjects, type InstallOptions } from '../../../src/install/objects.js';

const deploymentOf = (opts: InstallOptions, available = 1) => {
  const dep = operatorObjects(opts).find((o) => o.kind === 'Deployment')!;
  return { ...dep, status: { availableReplicas: available } };
};

describe('which operator reconciles an IstioOperator', () => {
  it('reads watched namespaces and revision from the Deployment init (and the chart) install', () => {
    const cases: [InstallOptions, Omit<OperatorInstance, 'available'>][] = [
      [{}, { deployment: 'istio-operator/istio-operator' }],
      [
        { watchedNamespaces: ['istio-system', 'istio-ingress'] },
        {
          deployment: 'istio-operator/istio-operator',
          watchNamespaces: ['istio-system', 'istio-ingress'],
        },
      ],
      [
        { revision: 'canary', operatorNamespace: 'ops' },
        { deployment: 'ops/istio-operator-canary', revision: 'canary' },
      ],
    ];
    for (const [opts, want] of cases) {
      assert.deepEqual(operatorFromDeployment(deploymentOf(opts)), { ...want, available: 1 });
    }
    // --flag=value works too, and a Deployment that runs no operator is none.
    assert.deepEqual(
      operatorFromDeployment({
        metadata: { name: 'op', namespace: 'x' },
        spec: { template: { spec: { containers: [{ args: ['run', '--watch-namespaces=a,b'] }] } } },
      } as never)?.watchNamespaces,
      ['a', 'b'],
    );
    assert.equal(operatorFromDeployment({ metadata: { name: 'x' } }), undefined);
    // `--revision default` is the revision of IstioOperators without one.
    assert.equal(
      operatorFromDeployment({
        metadata: { name: 'op', namespace: 'x' },
        spec: { template: { spec: { containers: [{ args: ['run', '--revision', 'default'] }] } } },
      } as never)?.revision,
      '',
    );
  });

  /** An operator; `revision` undefined: of every revision. */
  const watching = (
    watch: string[] | undefined,
    revision?: string,
    available = 1,
  ): OperatorInstance => ({
    deployment: `istio-operator/istio-operator${revision !== undefined ? `-${revision || 'default'}` : ''}`,
    ...(watch ? { watchNamespaces: watch } : {}),
    ...(revision !== undefined ? { revision } : {}),
    available,
  });

  it('says why nothing reconciles it, with the fix, and nothing when something does', () => {
    const cases: [
      string,
      { namespace: string; revision?: string },
      OperatorInstance[],
      RegExp | undefined,
    ][] = [
      ['watches all', { namespace: 'istio-egress' }, [watching(undefined)], undefined],
      ['watches it', { namespace: 'istio-system' }, [watching(['istio-system'])], undefined],
      [
        'the README path before the fix: gateways outside istio-system',
        { namespace: 'istio-ingress' },
        [watching(['istio-system'])],
        /not watched: operator istio-operator\/istio-operator reconciles IstioOperators in istio-system only; add istio-ingress with `istio-operator init --watched-namespaces istio-system,istio-ingress`/,
      ],
      [
        'the operator of every revision reconciles a canary',
        { namespace: 'istio-system', revision: 'canary' },
        [watching(undefined)],
        undefined,
      ],
      [
        'no operator for its revision: only one for IstioOperators without a revision',
        { namespace: 'istio-system', revision: 'canary' },
        [watching(undefined, '')],
        /no operator reconciles revision canary \(installed: istio-operator\/istio-operator-default for no revision\): .*istio-operator init --revision canary/,
      ],
      [
        "a revision's own running operator takes it, whatever the other watches",
        { namespace: 'istio-ingress', revision: 'canary' },
        [watching(undefined), watching(['istio-system'], 'canary')],
        /not watched: operator istio-operator\/istio-operator-canary reconciles IstioOperators in istio-system only; add istio-ingress with `istio-operator init --watched-namespaces istio-system,istio-ingress --revision canary`/,
      ],
      [
        "a revision's own operator is not running: the operator of every revision takes over",
        { namespace: 'istio-ingress', revision: 'canary' },
        [watching(undefined), watching(['istio-system'], 'canary', 0)],
        undefined,
      ],
      [
        '`default` is no revision',
        { namespace: 'istio-system', revision: 'default' },
        [watching(undefined, '')],
        undefined,
      ],
      [
        'no operator at all',
        { namespace: 'istio-system' },
        [],
        /no operator is installed in this cluster .*istio-operator init/,
      ],
      [
        'its operator is not running',
        { namespace: 'istio-system' },
        [watching(undefined, undefined, 0)],
        /operator istio-operator\/istio-operator is not running/,
      ],
    ];
    for (const [what, place, ops, want] of cases) {
      const got = coverageProblem(place, ops);
      if (want) assert.match(got ?? '', want, what);
      else assert.equal(got, undefined, what);
    }
  });
});
