import assert from 'node:assert/strict';
import type { RevisionWorkloads, StaleWorkload } from '../../../src/workloads/stale.js';
import { FIRST_WORKLOADS, proxiesStatus, workloadLine } from '../../../src/workloads/summary.js';

const stale = (
  name: string,
  current = [{ revision: '1-27', version: '1.27.0' }],
): StaleWorkload => ({
  namespace: 'shop',
  kind: 'Deployment',
  name,
  pods: 2,
  stalePods: 1,
  current,
  wanted: { revision: '1-28', version: '1.28.0' },
});

const report = (workloads: StaleWorkload[], pods = 10): RevisionWorkloads => ({
  revision: '1-28',
  version: '1.28.0',
  pods,
  stalePods: workloads.reduce((n, w) => n + w.stalePods, 0),
  workloads,
});

describe('workloads: the status an IstioOperator reports about its proxies', () => {
  it('names each stale workload with its current and wanted proxy', () => {
    assert.equal(workloadLine(stale('web')), 'shop/Deployment/web: 1-27@1.27.0 -> 1-28@1.28.0');
    assert.equal(
      workloadLine(stale('late', [{ revision: '', version: '' }])),
      'shop/Deployment/late: none -> 1-28@1.28.0',
    );
  });

  it('False/StaleProxies with counts and only the first few workloads named', () => {
    const many = Array.from({ length: FIRST_WORKLOADS + 2 }, (_, i) => stale(`w${i}`));
    const { status, condition } = proxiesStatus(report(many));
    assert.deepEqual([status.pods, status.stalePods, status.staleWorkloads], [10, 7, 7]);
    assert.equal(status.first.length, FIRST_WORKLOADS);
    assert.equal(status.first[0], 'shop/Deployment/w0: 1-27@1.27.0 -> 1-28@1.28.0');
    assert.equal(condition.status, 'False');
    assert.equal(condition.reason, 'StaleProxies');
    assert.match(
      condition.message,
      /^7 of 10 pod\(s\) in 7 workload\(s\) do not run 1-28@1\.28\.0: shop\/Deployment\/w0, /,
    );
    assert.match(condition.message, /and 2 more/);
  });

  it('True/AllCurrent when every served pod runs the wanted proxy, True/NoWorkloads when none is served', () => {
    assert.deepEqual(
      [proxiesStatus(report([])).condition.status, proxiesStatus(report([])).condition.reason],
      ['True', 'AllCurrent'],
    );
    assert.equal(proxiesStatus(report([], 0)).condition.reason, 'NoWorkloads');
  });

  it('is deterministic: the same report gives the same status, for writes only on change', () => {
    assert.deepEqual(proxiesStatus(report([stale('a')])), proxiesStatus(report([stale('a')])));
  });
});
