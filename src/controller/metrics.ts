import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { KubeClient, Verb } from '../kube/client.js';
import type { WorkQueue } from './workqueue.js';

/** The operator's Prometheus metrics, in a registry of their own (no global state). */
export interface OperatorMetrics {
  registry: Registry;
  reconciles: Counter<'result'>;
  reconcileSeconds: Histogram<'result'>;
  objectsApplied: Counter<'component'>;
  objectsPruned: Counter;
}

/**
 * Creates the metrics. Queue depth and API request counts are read at
 * scrape time from the queue and the client, so the hot path pays nothing.
 */
export function createMetrics(queue: WorkQueue, client: KubeClient): OperatorMetrics {
  const registry = new Registry();
  const reconciles = new Counter({
    name: 'istio_operator_reconcile_total',
    help: 'Reconciles by result (done, requeueAfter, terminal, error, conflict).',
    labelNames: ['result'],
    registers: [registry],
  });
  const reconcileSeconds = new Histogram({
    name: 'istio_operator_reconcile_duration_seconds',
    help: 'Duration of one reconcile.',
    labelNames: ['result'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const objectsApplied = new Counter({
    name: 'istio_operator_objects_applied_total',
    help: 'Objects written by server-side apply, by component.',
    labelNames: ['component'],
    registers: [registry],
  });
  const objectsPruned = new Counter({
    name: 'istio_operator_objects_pruned_total',
    help: 'Objects deleted because they are no longer desired (or on uninstall).',
    registers: [registry],
  });
  new Gauge({
    name: 'istio_operator_workqueue_depth',
    help: 'IstioOperator keys waiting for a worker, including those held while a burst of spec changes settles.',
    registers: [registry],
    collect() {
      this.set(queue.len() + queue.deferredLen());
    },
  });
  new Gauge({
    name: 'istio_operator_api_requests',
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
  return { registry, reconciles, reconcileSeconds, objectsApplied, objectsPruned };
}
