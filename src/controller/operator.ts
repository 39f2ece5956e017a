import type { Server } from 'node:http';
import { KubeClient } from '../kube/client.js';
import { logger } from '../log/logger.js';
import { LeaderElector } from '../runtime/leader.js';
import { OperatorManager, type ManagerOptions } from './manager.js';
import { serveProbes } from '../runtime/probes.js';
import { within } from '../runtime/shutdown.js';

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

/** What the operator runs, beyond its manager. */
export interface OperatorOptions extends ManagerOptions {
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
 * The operator's lifecycle, wired once for every way it runs (`run`, `npm
 * start`'s demo, the benchmarks, the tests), in the spirit of
 * controller-runtime's Manager.Start: probes and metrics served, caches
 * synced, then the workers — at once, or while holding the leader Lease —
 * and an orderly stop: workers finish their in-flight reconciles first, the
 * Lease is released last (a successor must not start while our reconciles
 * still write), the servers close.
 */
export class Operator {
  readonly manager: OperatorManager;
  readonly elector: LeaderElector | undefined;
  private readonly servers: Server[] = [];
  private stopping = false;

  constructor(private readonly opts: OperatorOptions) {
    this.manager = new OperatorManager(opts);
    const le = opts.leaderElection;
    this.elector = le
      ? new LeaderElector({
          // Its own client: Lease renewals are not reconcile writes, and the
          // zero-writes-in-steady-state count must not see them.
          client: new KubeClient(opts.kubeConfig),
          namespace: le.namespace,
          name: le.name,
          onStartedLeading: () => {
            this.manager.startWorkers();
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
        this.servers.push(await serveProbes(this.opts.health, () => this.manager.isReady()));
      }
      if (this.opts.metrics) {
        this.servers.push(
          await serveProbes(
            this.opts.metrics,
            () => this.manager.isReady(),
            this.manager.metrics.registry,
          ),
        );
      }
    } catch (err) {
      this.closeServers();
      throw new ListenError((err as Error).message);
    }
    await this.manager.start({ workers: !this.elector });
    if (this.stopping) return;
    if (this.elector) {
      logger.info('ready: caches synced, waiting for leadership');
      this.elector.start();
    } else {
      logger.info('ready: caches synced, workers running');
    }
  }

  /**
   * Stops in order: the workers finish in-flight reconciles (at most
   * `timeoutMs`), then the Lease is released and the servers close.
   * 'timeout' when reconciles were still running: the Lease is kept then
   * (it expires on its own), so no successor reconciles concurrently with
   * our stuck requests.
   */
  async stop(timeoutMs = 30_000): Promise<'stopped' | 'timeout'> {
    this.stopping = true;
    const r = await within(this.manager.stop(), timeoutMs);
    if (r === 'timeout') return 'timeout';
    await this.elector?.release();
    this.closeServers();
    return 'stopped';
  }

  private closeServers(): void {
    for (const s of this.servers.splice(0)) s.close();
  }
}
