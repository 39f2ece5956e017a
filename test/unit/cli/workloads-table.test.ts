import assert from 'node:assert/strict';
import { formatStatus, type StatusRow } from '../../../src/cli/status-table.js';
import { formatWorkloads, workloadRows } from '../../../src/cli/workloads-table.js';
import type { IopWorkloads } from '../../../src/controller/workloads-scan.js';

const iops: IopWorkloads[] = [
  {
    namespace: 'istio-system',
    name: 'canary',
    report: {
      revision: '1-28',
      version: '1.28.0',
      pods: 3,
      stalePods: 2,
      workloads: [
        {
          namespace: 'shop',
          kind: 'Deployment',
          name: 'web',
          pods: 2,
          stalePods: 2,
          current: [
            { revision: '', version: '' },
            { revision: '1-27', version: '1.27.0' },
          ],
          wanted: { revision: '1-28', version: '1.28.0' },
        },
      ],
    },
  },
  {
    namespace: 'istio-system',
    name: 'stable',
    report: { revision: '1-27', version: '1.27.0', pods: 1, stalePods: 0, workloads: [] },
  },
  { namespace: 'other', name: 'broken', error: 'spec.foo: unknown field' },
];

describe('cli: the workloads view', () => {
  it('one row per stale workload and proxy, current -> wanted revision and version', () => {
    assert.deepEqual(
      workloadRows(iops).map((r) => [
        r.istioOperator,
        r.workload,
        r.pods,
        r.currentRevision,
        r.currentVersion,
        r.wantedRevision,
        r.wantedVersion,
      ]),
      [
        ['istio-system/canary', 'web', '2/2', 'none', 'none', '1-28', '1.28.0'],
        ['istio-system/canary', 'web', '2/2', '1-27', '1.27.0', '1-28', '1.28.0'],
      ],
    );
  });

  it('summarises each IstioOperator, then the table', () => {
    const out = formatWorkloads(iops);
    assert.match(
      out,
      /^istio-system\/canary: 2 of 3 pod\(s\) in 1 workload\(s\) do not run 1-28@1\.28\.0$/m,
    );
    assert.match(
      out,
      /^istio-system\/stable: all 1 pod\(s\) served by revision 1-27 run 1-27@1\.27\.0$/m,
    );
    assert.match(out, /^other\/broken: not rendered: spec\.foo: unknown field$/m);
    assert.match(
      out,
      /^ISTIOOPERATOR\s+NAMESPACE\s+WORKLOAD\s+KIND\s+STALE PODS\s+REVISION\s+VERSION$/m,
    );
    assert.match(
      out,
      /^istio-system\/canary\s+shop\s+web\s+Deployment\s+2\/2\s+1-27 -> 1-28\s+1\.27\.0 -> 1\.28\.0$/m,
    );
    assert.equal(formatWorkloads([]), 'No IstioOperators with Pilot found.\n');
  });
});

describe('cli: status names the stale proxies per IstioOperator', () => {
  const row = (proxies?: StatusRow['proxies']): StatusRow => ({
    namespace: 'istio-system',
    name: 'canary',
    revision: '1-28',
    profile: 'default',
    status: 'HEALTHY',
    ready: 'True',
    version: '1.28.0',
    message: '',
    deleting: false,
    components: [],
    ...(proxies ? { proxies } : {}),
  });

  it('a note with the counts and the command that lists them, only when some are stale', () => {
    assert.match(
      formatStatus([row({ pods: 5, stalePods: 3, staleWorkloads: 2 })]),
      /^istio-system\/canary: 3 of 5 pod\(s\) in 2 workload\(s\) still run an old proxy \(restart them; list them with: istio-operator workloads -n istio-system canary\)$/m,
    );
    assert.doesNotMatch(
      formatStatus([row({ pods: 5, stalePods: 0, staleWorkloads: 0 })]),
      /old proxy/,
    );
    assert.doesNotMatch(formatStatus([row()]), /old proxy/);
  });
});
