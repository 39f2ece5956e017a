import type { CoreV1Event } from '@kubernetes/client-node';
import { hostname } from 'node:os';
import type { IstioOperator } from '../api/types.js';
import type { KubeClient } from '../kube/client.js';
import { describeKubeError } from '../kube/errors.js';
import { logger } from '../log/logger.js';

/** Why an Event is recorded on an IstioOperator. */
export type EventReason =
  | 'Applied'
  | 'Pruned'
  | 'Invalid'
  /** Rendering a valid spec failed: the operator's fault (retried). */
  | 'RenderFailed'
  | 'Conflict'
  | 'Failed'
  | 'Uninstalled'
  | 'VersionSkew'
  | 'RevisionInUse'
  /** CRDs newer or richer than ours were left as they are (apply/crd-guard.ts). */
  | 'CRDsKept';

/** Records a Kubernetes Event on an IstioOperator. */
export type EventRecorder = (
  iop: IstioOperator,
  type: 'Normal' | 'Warning',
  reason: EventReason,
  message: string,
) => void;

/** An EventRecorder that also says how many Events are still being sent. */
export type TrackedEventRecorder = EventRecorder & { pending(): number };

/**
 * Events go out best effort and in the background: a reconcile never waits
 * for or fails on one. Messages are capped at 1 KiB as the API server
 * truncates longer ones anyway.
 */
export function eventRecorder(
  client: KubeClient,
  now: () => Date = () => new Date(),
): TrackedEventRecorder {
  const instance = hostname();
  let inFlight = 0;
  const record: EventRecorder = (iop, type, reason, message) => {
    const ts = now().toISOString();
    const event: CoreV1Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${iop.metadata.name}.`, namespace: iop.metadata.namespace! },
      involvedObject: {
        apiVersion: iop.apiVersion,
        kind: iop.kind,
        name: iop.metadata.name!,
        namespace: iop.metadata.namespace!,
        ...(iop.metadata.uid ? { uid: iop.metadata.uid } : {}),
      },
      reason,
      message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
      type,
      source: { component: 'istio-operator' },
      reportingComponent: 'istio-operator',
      reportingInstance: instance,
      firstTimestamp: ts as unknown as Date,
      lastTimestamp: ts as unknown as Date,
      count: 1,
    };
    inFlight++;
    client
      .createEvent(iop.metadata.namespace!, event)
      .catch((err: unknown) => {
        logger.debug('could not record event', { reason, error: describeKubeError(err) });
      })
      .finally(() => inFlight--);
  };
  return Object.assign(record, { pending: () => inFlight });
}
