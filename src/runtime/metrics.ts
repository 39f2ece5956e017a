import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { KubeClient, Verb } from '../kube/client.js';
import type { ReconcileRecord } from './controller.js';
import type { WorkQueue } from './workqueue.js';

/** A control loop's Prometheus metrics, in a registry of their own (no global state). */
export interface ControllerMetrics {
  registry: Registry;
  reconciles: Counter<'result'>;
  reconcileSeconds: Histogram<'result'>;
  /** Counts one finished reconcile (a Controller's onReconcile hook). */
  observe(r: ReconcileRecord): void;
}

/**
 * Creates the metrics of a control loop: reconciles by result and their
 * duration, queue depth and API requests, named `<prefix>_…`. Queue depth
 * and API request counts are read at scrape time from the queue and the
 * client, so the hot path pays nothing.
 */
export function controllerMetrics(
  queue: WorkQueue,
  client: KubeClient,
  opts: { prefix: string; /** What the queue holds, for the depth's help text. */ keys: string },
): ControllerMetrics {
  const { prefix } = opts;
  const registry = new Registry();
  const reconciles = new Counter({
    name: `${prefix}_reconcile_total`,
    help: 'Reconciles by result (done, requeueAfter, terminal, error, conflict).',
    labelNames: ['result'],
    registers: [registry],
  });
  const reconcileSeconds = new Histogram({
    name: `${prefix}_reconcile_duration_seconds`,
    help: 'Duration of one reconcile.',
    labelNames: ['result'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: `${prefix}_workqueue_depth`,
    help: `${opts.keys} waiting for a worker, including those held while a burst of spec changes settles.`,
    registers: [registry],
    collect() {
      this.set(queue.len() + queue.deferredLen());
    },
  });
  new Gauge({
    name: `${prefix}_api_requests`,
    help: 'API requests issued since start, by verb and HTTP code (0: no answer).',
    labelNames: ['verb', 'code'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [verb, byCode] of client.requests as Map<Verb, Map<number, number>>) {
        for (const [code, n] of byCode) this.set({ verb, code: String(code) }, n);
      }
    },
  });
  const observe = (r: ReconcileRecord) => {
    reconciles.inc({ result: r.result });
    reconcileSeconds.observe({ result: r.result }, r.ms / 1000);
  };
  return { registry, reconciles, reconcileSeconds, observe };
}
