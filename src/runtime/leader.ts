import type * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { KubeClient, ObjectRef } from '../kube/client.js';
import { describeKubeError, isAlreadyExists, isConflict, isNotFound } from '../kube/errors.js';
import { logger } from '../log/logger.js';

/** How long a holder's claim lasts after this process last saw it change (client-go's default). */
const LEASE_DURATION_MS = 15_000;
/** How long the leader keeps trying to renew before it gives up leadership. */
const RENEW_DEADLINE_MS = 10_000;
/** Pause between attempts to acquire or renew. */
const RETRY_PERIOD_MS = 2_000;

/** The fields of a `coordination.k8s.io/v1` Lease spec that leader election uses. */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** MicroTime (RFC 3339 with microseconds). */
  acquireTime?: string;
  /** MicroTime; written for humans and other tools, never read to judge expiry. */
  renewTime?: string;
  leaseTransitions?: number;
}

/** A Lease object as the API server returns it. */
export interface Lease extends k8s.KubernetesObject {
  spec?: LeaseSpec;
}

/**
 * What this process last saw of the Lease record, and when — on its own
 * monotonic clock. Expiry is judged from `atMs`, never from the holder's
 * `renewTime`: the holder's clock may be skewed, ours only has to tick.
 */
export interface Observation {
  /** The record in a comparable form. */
  record: string;
  holder: string;
  durationSeconds: number;
  /** Local monotonic time (ms) at which the record was first seen in this form. */
  atMs: number;
}

function recordKey(s: LeaseSpec): string {
  return JSON.stringify([
    s.holderIdentity ?? '',
    s.leaseDurationSeconds ?? 0,
    s.acquireTime ?? '',
    s.renewTime ?? '',
    s.leaseTransitions ?? 0,
  ]);
}

/**
 * Records a read of the Lease: the observation time moves only when the
 * record differs from the one seen before, so a holder that stopped renewing
 * expires `durationSeconds` after we last saw it renew.
 */
export function observe(
  prev: Observation | undefined,
  spec: LeaseSpec,
  nowMs: number,
): Observation {
  const record = recordKey(spec);
  if (prev?.record === record) return prev;
  return {
    record,
    holder: spec.holderIdentity ?? '',
    durationSeconds: spec.leaseDurationSeconds ?? 0,
    atMs: nowMs,
  };
}

/** True while someone other than `identity` holds an unexpired claim, as judged locally. */
export function heldByOther(obs: Observation, identity: string, nowMs: number): boolean {
  return (
    obs.holder !== '' && obs.holder !== identity && obs.atMs + obs.durationSeconds * 1000 > nowMs
  );
}

/** A time in the API server's MicroTime format (six fractional digits; fewer are refused). */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * The record to write to acquire or renew: a renewal keeps the acquire time
 * and transition count; a takeover starts a new term and counts a transition.
 */
export function claim(
  current: LeaseSpec | undefined,
  identity: string,
  durationSeconds: number,
  now: Date,
): LeaseSpec {
  const t = microTime(now);
  const mine = current?.holderIdentity === identity;
  const transitions = current?.leaseTransitions ?? 0;
  return {
    holderIdentity: identity,
    leaseDurationSeconds: durationSeconds,
    acquireTime: mine && current?.acquireTime ? current.acquireTime : t,
    renewTime: t,
    leaseTransitions: mine || !current ? transitions : transitions + 1,
  };
}

/** The record a leader writes on shutdown: no holder and a 1 s lease, so a successor takes over at once. */
export function released(current: LeaseSpec, now: Date): LeaseSpec {
  const t = microTime(now);
  return {
    ...current,
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTime: t,
    renewTime: t,
  };
}

/** A unique identity for this process: the hostname (the pod name in a cluster) and a random suffix. */
export function defaultIdentity(): string {
  return `${hostname()}_${randomBytes(4).toString('hex')}`;
}

/** Resolves with `p`'s value, or with undefined once `ms` have passed. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Settings for {@link LeaderElector}. Durations are configurable so tests can use short ones. */
export interface LeaderElectionOptions {
  /** The client for the Lease (a separate one keeps Lease writes out of the reconciler's counts). */
  client: KubeClient;
  namespace: string;
  /** Lease name (the operator's: `istio-operator-leader`, see cli/commands/run.ts). */
  name: string;
  /** Default {@link defaultIdentity}. */
  identity?: string;
  /** Default 15 s; written to the Lease in whole seconds (at least 1). */
  leaseDurationMs?: number;
  /** Default 10 s; must be shorter than the lease duration. */
  renewDeadlineMs?: number;
  /** Default 2 s. */
  retryPeriodMs?: number;
  /** Called once when this process becomes the leader. */
  onStartedLeading?: () => void;
  /**
   * Called once when leadership is lost: renewals failed past the renew
   * deadline, or another holder was seen. Not called by {@link LeaderElector.stop}
   * or {@link LeaderElector.release}, which give leadership up on purpose.
   */
  onStoppedLeading?: () => void;
  /** Monotonic clock in ms (tests). Default `performance.now`. */
  now?: () => number;
}

/**
 * The Lease cannot be created because its namespace does not exist — a
 * setup mistake (typically `run --leader-elect` outside a pod, where the
 * CLI's default namespace may not exist), not a transient failure, so it is
 * reported once with what to do.
 */
class LeaseNamespaceMissing extends Error {
  constructor(readonly namespace: string) {
    super(
      `leader election: namespace ${namespace} does not exist, so the leader Lease cannot be created ` +
        `and this replica never leads: create it (kubectl create namespace ${namespace}) or pass ` +
        '--leader-election-namespace with an existing namespace (retrying quietly until then)',
    );
  }
}

/** How one acquire-or-renew ended; `deadline`: the renew deadline passed while it was in flight. */
type Attempt = 'ok' | 'held' | 'conflict' | 'error' | 'deadline';

/**
 * Leader election on a `coordination.k8s.io/v1` Lease, as client-go does it:
 * every retry period, read the Lease; if nobody holds it, the holder's claim
 * has expired (judged from when *we* last saw the record change), or we hold
 * it, write our claim by compare-and-swap on `resourceVersion`. A 409 means
 * another candidate won the race; we back off quietly. The leader that
 * cannot renew within the renew deadline stops leading — and the operator
 * exits, so two leaders never reconcile at once for longer than that.
 */
export class LeaderElector {
  /** This candidate's holder identity. */
  readonly identity: string;
  /** The Lease name. */
  readonly name: string;
  /**
   * Monotonic time (ms) at which the last successful acquire or renew was
   * *sent* (-Infinity before): the claim cannot have been seen earlier, so
   * counting the renew deadline from here errs on the safe side.
   */
  lastRenewMs = Number.NEGATIVE_INFINITY;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly clock: () => number;
  private observed: Observation | undefined;
  /** The Lease as we last read or wrote it (its resourceVersion is what release swaps on). */
  private lease: Lease | undefined;
  private leading = false;
  private running = false;
  private loop: Promise<void> | undefined;
  /** The last attempt found the Lease's namespace missing (warned about once). */
  private namespaceMissing = false;
  private wake: (() => void) | undefined;

  constructor(private readonly opts: LeaderElectionOptions) {
    this.identity = opts.identity ?? defaultIdentity();
    this.name = opts.name;
    this.leaseDurationMs = opts.leaseDurationMs ?? LEASE_DURATION_MS;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? RENEW_DEADLINE_MS;
    this.retryPeriodMs = opts.retryPeriodMs ?? RETRY_PERIOD_MS;
    this.clock = opts.now ?? (() => performance.now());
    if (this.renewDeadlineMs >= this.leaseDurationMs) {
      throw new Error(
        `leader election: renew deadline ${this.renewDeadlineMs} ms must be shorter than the lease duration ${this.leaseDurationMs} ms`,
      );
    }
  }

  /** True while this process holds the Lease. */
  isLeader(): boolean {
    return this.leading;
  }

  /** Starts campaigning in the background; callbacks report the outcome. */
  start(): void {
    if (this.loop) throw new Error('leader election already started');
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Stops campaigning and renewing without touching the Lease, as a crash
   * would: a successor takes over once the claim expires.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    // A candidate's request in flight may hang until the client's own timeout
    // (60 s); shutdown does not wait for it. Whatever it returns is ignored.
    await within(this.loop ?? Promise.resolve(), this.renewDeadlineMs);
    this.leading = false;
  }

  /**
   * Stops, and if this process leads, writes an empty holder with a 1 s
   * lease so a successor takes over at once. Best effort and bounded by the
   * renew deadline: a failure is logged, and the claim then simply expires.
   */
  async release(): Promise<void> {
    const wasLeading = this.leading;
    await this.stop();
    if (!wasLeading || !this.lease) return;
    try {
      const put = this.opts.client.replace<Lease>({
        ...this.lease,
        spec: released(this.lease.spec ?? {}, new Date()),
      });
      const done = await within(put, this.renewDeadlineMs);
      if (!done) throw new Error(`no answer within ${this.renewDeadlineMs} ms`);
      this.lease = done;
      logger.info('released leadership', this.logFields());
    } catch (err) {
      logger.warn('could not release the leader Lease; it expires on its own', {
        ...this.logFields(),
        error: describeKubeError(err),
      });
    }
  }

  private logFields() {
    return { lease: `${this.opts.namespace}/${this.name}`, identity: this.identity };
  }

  private async run(): Promise<void> {
    while (this.running) {
      const sent = this.clock();
      const attempt = await this.attempt();
      if (!this.running) return;
      const now = this.clock();
      if (attempt === 'ok') {
        this.lastRenewMs = sent;
        if (!this.leading) {
          this.leading = true;
          logger.info('became leader', this.logFields());
          this.opts.onStartedLeading?.();
        }
      } else if (
        this.leading &&
        (attempt === 'held' ||
          attempt === 'deadline' ||
          now - this.lastRenewMs >= this.renewDeadlineMs)
      ) {
        this.leading = false;
        this.running = false;
        logger.error('lost leadership', {
          ...this.logFields(),
          reason: attempt === 'held' ? 'another holder owns the Lease' : 'renew deadline passed',
          sinceRenewMs: Math.round(now - this.lastRenewMs),
        });
        this.opts.onStoppedLeading?.();
        return;
      }
      // Candidates spread their attempts (client-go's jitter factor 1.2); the leader keeps
      // its beat but wakes at the renew deadline, so a loss is noticed on time.
      const pause = this.leading
        ? Math.min(this.retryPeriodMs, Math.max(0, this.lastRenewMs + this.renewDeadlineMs - now))
        : this.retryPeriodMs * (1 + Math.random() * 0.2);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pause);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /**
   * One acquire-or-renew. While leading, it races the renew deadline: a hung
   * request must not keep a leader that can no longer prove its claim.
   */
  private async attempt(): Promise<Attempt> {
    const call = this.tryAcquireOrRenew().then(
      (a) => {
        this.namespaceMissing = false;
        return a;
      },
      (err: unknown) => {
        if (err instanceof LeaseNamespaceMissing) {
          // Said once, with the fix; retried quietly, as the namespace may yet be created.
          if (!this.namespaceMissing) logger.warn(err.message, this.logFields());
          else logger.debug('leader election: Lease namespace still missing', this.logFields());
          this.namespaceMissing = true;
          return 'error' as const;
        }
        logger.warn('leader election: request failed', {
          ...this.logFields(),
          error: describeKubeError(err),
        });
        return 'error' as const;
      },
    );
    if (!this.leading) return await call;
    const left = this.lastRenewMs + this.renewDeadlineMs - this.clock();
    // Timers may fire a hair early by our clock: the race itself is the verdict.
    return (await within(call, Math.max(0, left))) ?? 'deadline';
  }

  private async tryAcquireOrRenew(): Promise<Attempt> {
    const { client, namespace } = this.opts;
    const durationSeconds = Math.max(1, Math.ceil(this.leaseDurationMs / 1000));
    const ref: ObjectRef = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace },
    };
    let current: Lease;
    try {
      current = await client.get<Lease>(ref);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        this.lease = await client.create<Lease>({
          ...ref,
          spec: claim(undefined, this.identity, durationSeconds, new Date()),
        });
      } catch (e) {
        if (isAlreadyExists(e) || isConflict(e)) return 'conflict';
        // Creating in a namespace that does not exist is the one NotFound here.
        if (isNotFound(e)) throw new LeaseNamespaceMissing(namespace);
        throw e;
      }
      this.observed = observe(this.observed, this.lease.spec ?? {}, this.clock());
      return 'ok';
    }
    this.observed = observe(this.observed, current.spec ?? {}, this.clock());
    if (heldByOther(this.observed, this.identity, this.clock())) {
      this.lease = current;
      return 'held';
    }
    try {
      // PUT carries current.metadata.resourceVersion: the write is a compare-and-swap.
      this.lease = await client.replace<Lease>({
        ...current,
        spec: claim(current.spec, this.identity, durationSeconds, new Date()),
      });
    } catch (err) {
      if (isConflict(err)) {
        logger.debug('leader election: lost a race for the Lease', this.logFields());
        return 'conflict';
      }
      throw err;
    }
    this.observed = observe(this.observed, this.lease.spec ?? {}, this.clock());
    return 'ok';
  }
}
