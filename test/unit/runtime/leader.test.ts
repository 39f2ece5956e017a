import assert from 'node:assert/strict';
import {
  claim,
  heldByOther,
  microTime,
  observe,
  released,
  type LeaseSpec,
} from '../../../src/runtime/leader.js';

const held = (holder: string, renewTime = '2026-01-01T00:00:00.000000Z'): LeaseSpec => ({
  holderIdentity: holder,
  leaseDurationSeconds: 15,
  acquireTime: '2026-01-01T00:00:00.000000Z',
  renewTime,
  leaseTransitions: 2,
});

describe('leader election decisions', () => {
  it('moves the observation time only when the record changes', () => {
    const first = observe(undefined, held('a'), 1000);
    assert.equal(first.atMs, 1000);
    assert.equal(
      observe(first, held('a'), 9000).atMs,
      1000,
      'same record: still first seen at 1000',
    );
    const renewed = observe(first, held('a', '2026-01-01T00:00:02.000000Z'), 9000);
    assert.equal(renewed.atMs, 9000, 'a renewal is a change');
    assert.equal(observe(renewed, held('b', '2026-01-01T00:00:02.000000Z'), 9500).holder, 'b');
  });

  const cases: {
    name: string;
    spec: LeaseSpec;
    seenAt: number;
    now: number;
    me: string;
    want: boolean;
  }[] = [
    {
      name: 'fresh claim of another',
      spec: held('a'),
      seenAt: 0,
      now: 14_999,
      me: 'b',
      want: true,
    },
    {
      name: 'expired claim of another',
      spec: held('a'),
      seenAt: 0,
      now: 15_000,
      me: 'b',
      want: false,
    },
    { name: 'our own claim', spec: held('b'), seenAt: 0, now: 1, me: 'b', want: false },
    {
      name: 'released (no holder)',
      spec: { ...held(''), leaseDurationSeconds: 1 },
      seenAt: 0,
      now: 1,
      me: 'b',
      want: false,
    },
    {
      // The holder's renewTime is a year in the future (skewed clock): irrelevant, only local time counts.
      name: 'skewed holder clock is ignored',
      spec: held('a', '2027-01-01T00:00:00.000000Z'),
      seenAt: 5_000,
      now: 20_001,
      me: 'b',
      want: false,
    },
  ];
  for (const c of cases) {
    it(`held by another: ${c.name} → ${c.want}`, () => {
      assert.equal(heldByOther(observe(undefined, c.spec, c.seenAt), c.me, c.now), c.want);
    });
  }

  it('a renewal keeps the term; a takeover starts one and counts a transition', () => {
    const now = new Date('2026-01-01T00:00:05.123Z');
    const renew = claim(held('a'), 'a', 15, now);
    assert.deepEqual(renew, {
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: '2026-01-01T00:00:00.000000Z',
      renewTime: '2026-01-01T00:00:05.123000Z',
      leaseTransitions: 2,
    });
    const takeover = claim(held('a'), 'b', 15, now);
    assert.equal(takeover.holderIdentity, 'b');
    assert.equal(takeover.acquireTime, '2026-01-01T00:00:05.123000Z');
    assert.equal(takeover.leaseTransitions, 3);
    assert.equal(claim(undefined, 'b', 3, now).leaseTransitions, 0, 'a new Lease starts at 0');
  });

  it('a release empties the holder and shortens the lease to 1 s', () => {
    const r = released(held('a'), new Date('2026-01-01T00:00:09Z'));
    assert.equal(r.holderIdentity, '');
    assert.equal(r.leaseDurationSeconds, 1);
    assert.equal(r.leaseTransitions, 2);
    assert.equal(r.renewTime, '2026-01-01T00:00:09.000000Z');
  });

  it('writes MicroTime with six fractional digits', () => {
    assert.equal(microTime(new Date('2026-03-04T05:06:07.089Z')), '2026-03-04T05:06:07.089000Z');
  });
});
