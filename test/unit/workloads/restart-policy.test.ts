import assert from 'node:assert/strict';
import {
  formatDuration,
  formatRestartPolicy,
  parseDuration,
  parseRestartPolicy,
} from '../../../src/workloads/restart-policy.js';

const A = 'install.istio.io/restart-workloads';

describe('workloads: the restart policy annotation', () => {
  const good: [string, ReturnType<typeof parseRestartPolicy>][] = [
    ['', { policy: { batch: 5, pauseMs: 0 } }],
    ['true', { policy: { batch: 5, pauseMs: 0 } }],
    ['  true ', { policy: { batch: 5, pauseMs: 0 } }],
    ['false', { off: true }],
    ['batch=3', { policy: { batch: 3, pauseMs: 0 } }],
    [
      'batch=1,pause=30s,timeout=10m',
      { policy: { batch: 1, pauseMs: 30_000, timeoutMs: 600_000 } },
    ],
    [' batch = 100 , pause=1m30s ', { policy: { batch: 100, pauseMs: 90_000 } }],
    ['pause=500ms', { policy: { batch: 5, pauseMs: 500 } }],
    ['pause=0s', { policy: { batch: 5, pauseMs: 0 } }],
    ['pause=0', { policy: { batch: 5, pauseMs: 0 } }],
    ['pause=24h', { policy: { batch: 5, pauseMs: 86_400_000 } }],
    ['timeout=10s', { policy: { batch: 5, pauseMs: 0, timeoutMs: 10_000 } }],
    ['timeout=1.5h', { policy: { batch: 5, pauseMs: 0, timeoutMs: 5_400_000 } }],
    ['timeout=1h', { policy: { batch: 5, pauseMs: 0, timeoutMs: 3_600_000 } }],
  ];
  for (const [value, want] of good) {
    it(`reads ${JSON.stringify(value)}`, () => {
      assert.deepEqual(parseRestartPolicy(value), want);
    });
  }

  it('names the annotation, the item and the fix for an unknown key', () => {
    assert.deepEqual(parseRestartPolicy('batchsize=3'), {
      error: `${A}: unknown key "batchsize" in "batchsize=3"; fix: use batch=N, pause=DURATION, timeout=DURATION (e.g. "batch=5,pause=30s,timeout=10m")`,
    });
  });

  const bad: [string, RegExp][] = [
    [
      'batch=0',
      /batch must be a whole number from 1 to 100 in "batch=0"; fix: use e\.g\. batch=5$/,
    ],
    ['batch=101', /from 1 to 100 in "batch=101"/],
    ['batch=2.5', /from 1 to 100 in "batch=2.5"/],
    ['batch=five', /from 1 to 100 in "batch=five"/],
    ['batch=', /from 1 to 100 in "batch="/],
    ['pause=30', /"30" is not a duration in "pause=30"; fix: write a duration such as/],
    ['pause=30sec', /"30sec" is not a duration/],
    ['pause=-1s', /"-1s" is not a duration/],
    ['timeout=5us', /"5us" is not a duration/],
    ['pause=25h', /pause must be from 0s to 24h in "pause=25h"; fix: use e\.g\. pause=30s$/],
    ['timeout=9s', /timeout must be from 10s to 24h in "timeout=9s"; fix: use e\.g\. timeout=10m$/],
    ['timeout=0', /timeout must be from 10s to 24h/],
    ['batch', /expected key=value in "batch"; fix: use batch=N/],
    ['True', /expected key=value in "True"/],
    ['batch=3,', /empty item in "batch=3,"; fix: remove the extra comma/],
    ['batch=3,batch=4', /"batch" given twice in "batch=3,batch=4"; fix: keep one batch=/],
  ];
  for (const [value, want] of bad) {
    it(`refuses ${JSON.stringify(value)}`, () => {
      const got = parseRestartPolicy(value);
      assert.equal(got.policy, undefined);
      assert.equal(got.off, undefined);
      assert.ok(got.error?.startsWith(`${A}: `), got.error);
      assert.match(got.error ?? '', want);
    });
  }

  it('writes the canonical text, timeout left out when unset', () => {
    assert.equal(
      formatRestartPolicy({ batch: 5, pauseMs: 30_000, timeoutMs: 600_000 }),
      'batch=5,pause=30s,timeout=10m',
    );
    assert.equal(formatRestartPolicy({ batch: 5, pauseMs: 0 }), 'batch=5,pause=0s');
    assert.equal(formatRestartPolicy({ batch: 2, pauseMs: 90_500 }), 'batch=2,pause=1m30s500ms');
  });

  it('reads back what it writes', () => {
    for (const text of [
      'batch=5,pause=0s',
      'batch=7,pause=1h1m1s1ms,timeout=24h',
      'batch=1,pause=2m,timeout=10s',
    ]) {
      const { policy } = parseRestartPolicy(text);
      assert.ok(policy, text);
      assert.equal(formatRestartPolicy(policy), text);
    }
  });
});

describe('workloads: Go-style durations', () => {
  const cases: [string, number | undefined][] = [
    ['0', 0],
    ['0s', 0],
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1h2m3s4ms', 3_723_004],
    ['.5s', 500],
    ['1.5s', 1500],
    ['', undefined],
    ['1', undefined],
    ['s', undefined],
    ['1d', undefined],
    ['1m 30s', undefined],
  ];
  for (const [text, ms] of cases) {
    it(`${JSON.stringify(text)} is ${String(ms)}`, () => assert.equal(parseDuration(text), ms));
  }

  it('formats the shortest form', () => {
    assert.deepEqual([0, 500, 30_000, 90_000, 600_000, 3_600_000, 3_723_004].map(formatDuration), [
      '0s',
      '500ms',
      '30s',
      '1m30s',
      '10m',
      '1h',
      '1h2m3s4ms',
    ]);
  });
});
