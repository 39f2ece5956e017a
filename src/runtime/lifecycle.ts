import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { KubeAccess } from '../kube/access.js';
import { KubeClient } from '../kube/client.js';
import { logger } from '../log/logger.js';
import { LeaderElector } from './leader.js';
import { serveProbes } from './probes.js';
import { within } from './shutdown.js';

/** A listen address, as probes.ts parses it. */
export interface ListenAddr {
  host: string;
  port: number;
}

/** The probes or metrics could not listen (the address is taken, say). */
export class ListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenError';
  }
}

/**
 * What a lifecycle runs (controller-runtime's Runnable, split where leader
 * election needs it): caches that sync, workers that start once it leads.
 */
export interface Runnable {
  /** Syncs the caches, then starts the workers unless `workers: false`. */
  start(opts: { workers?: boolean }): Promise<void>;
  /** Starts the workers (once; later calls do nothing). */
  startWorkers(): void;
  /** True once the caches have synced (the readiness probe). */
  isReady(): boolean;
  /** Stops taking work, waits for in-flight work, stops the caches. */
  stop(): Promise<void>;
  /** The metrics served on the metrics address. */
  metrics: { registry: Registry };
}

/** How a lifecycle runs, beyond what it runs. */
export interface LifecycleOptions {
  kubeConfig: KubeAccess;
  /** Serve /healthz and /readyz here; off when unset. */
  health?: ListenAddr;
  /** Serve Prometheus metrics (and the probes) here; off when unset. */
  metrics?: ListenAddr;
  /**
   * Run workers only while holding this Lease (more than one replica).
   * `onLost` is told when leadership is lost: a replica that may no longer
   * lead must not reconcile another moment (the CLI exits).
   */
  leaderElection?: { namespace: string; name: string; onLost(): void };
}

/**
 * A process's lifecycle, in the spirit of controller-runtime's
 * Manager.Start: probes and metrics served, caches synced, then the workers
 * — at once, or while holding the leader Lease — and an orderly stop:
 * workers finish their in-flight work first, the Lease is released last (a
 * successor must not start while our work still writes), the servers close.
 */
export class Lifecycle<R extends Runnable> {
  readonly elector: LeaderElector | undefined;
  private readonly servers: Server[] = [];
  private stopping = false;

  constructor(
    readonly runnable: R,
    private readonly opts: LifecycleOptions,
  ) {
    const le = opts.leaderElection;
    this.elector = le
      ? new LeaderElector({
          // Its own client: Lease renewals are not reconcile writes, and the
          // zero-writes-in-steady-state count must not see them.
          client: new KubeClient(opts.kubeConfig),
          namespace: le.namespace,
          name: le.name,
          onStartedLeading: () => {
            this.runnable.startWorkers();
            logger.info('leading: workers running');
          },
          // The caller says what happens (and logs it): the CLI exits.
          onStoppedLeading: () => le.onLost(),
        })
      : undefined;
  }

  /**
   * Serves the probes and metrics (a ListenError is thrown, with nothing
   * left open), syncs the caches and starts the workers, or the election.
   * A stop() that comes first wins: no workers, no election.
   */
  async start(): Promise<void> {
    try {
      if (this.opts.health) {
        this.servers.push(await serveProbes(this.opts.health, () => this.runnable.isReady()));
      }
      if (this.opts.metrics) {
        this.servers.push(
          await serveProbes(
            this.opts.metrics,
            () => this.runnable.isReady(),
            this.runnable.metrics.registry,
          ),
        );
      }
    } catch (err) {
      this.closeServers();
      throw new ListenError((err as Error).message);
    }
    await this.runnable.start({ workers: !this.elector });
    if (this.stopping) return;
    if (this.elector) {
      logger.info('ready: caches synced, waiting for leadership');
      this.elector.start();
    } else {
      logger.info('ready: caches synced, workers running');
    }
  }

  /**
   * Stops in order: the workers finish in-flight work (at most
   * `timeoutMs`), then the Lease is released and the servers close.
   * 'timeout' when work was still running: the Lease is kept then (it
   * expires on its own), so no successor reconciles concurrently with our
   * stuck requests.
   */
  async stop(timeoutMs = 30_000): Promise<'stopped' | 'timeout'> {
    this.stopping = true;
    const r = await within(this.runnable.stop(), timeoutMs);
    if (r === 'timeout') return 'timeout';
    await this.elector?.release();
    this.closeServers();
    return 'stopped';
  }

  private closeServers(): void {
    for (const s of this.servers.splice(0)) s.close();
  }
}
