import { Counter, Gauge } from 'prom-client';
import type { KubeClient } from '../kube/client.js';
import { controllerMetrics, type ControllerMetrics } from '../runtime/metrics.js';
import type { WorkQueue } from '../runtime/workqueue.js';

/** The operator's Prometheus metrics: its control loop's, and what it applied and pruned. */
export interface OperatorMetrics extends ControllerMetrics {
  objectsApplied: Counter<'component'>;
  objectsPruned: Counter;
  /** Pods per IstioOperator that do not run its revision's proxy (the proxies loop sets it). */
  staleProxyPods: Gauge<'namespace' | 'name'>;
}

/** Creates the metrics, all named `istio_operator_…` (see runtime/metrics.ts). */
export function createMetrics(queue: WorkQueue, client: KubeClient): OperatorMetrics {
  const loop = controllerMetrics(queue, client, {
    prefix: 'istio_operator',
    keys: 'IstioOperator keys',
  });
  const objectsApplied = new Counter({
    name: 'istio_operator_objects_applied_total',
    help: 'Objects written by server-side apply, by component.',
    labelNames: ['component'],
    registers: [loop.registry],
  });
  const objectsPruned = new Counter({
    name: 'istio_operator_objects_pruned_total',
    help: 'Objects deleted because they are no longer desired (or on uninstall).',
    registers: [loop.registry],
  });
  const staleProxyPods = new Gauge({
    name: 'istio_operator_stale_proxy_pods',
    help: 'Pods an IstioOperator injects that run another revision or version of the proxy (or none), by IstioOperator.',
    labelNames: ['namespace', 'name'],
    registers: [loop.registry],
  });
  return { ...loop, objectsApplied, objectsPruned, staleProxyPods };
}
