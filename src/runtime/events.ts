import type { CoreV1Event, KubernetesObject } from '@kubernetes/client-node';
import { hostname } from 'node:os';
import type { KubeClient } from '../kube/client.js';
import { describeKubeError } from '../kube/errors.js';
import { logger } from '../log/logger.js';

/** The object an Event is about: anything namespaced with a name. */
export type EventSubject = Pick<KubernetesObject, 'apiVersion' | 'kind'> & {
  metadata: { name?: string; namespace?: string; uid?: string };
};

/** Records a Kubernetes Event on an object, for one of the reasons `Reason` lists. */
export type EventRecorder<Reason extends string = string, T extends EventSubject = EventSubject> = (
  obj: T,
  type: 'Normal' | 'Warning',
  reason: Reason,
  message: string,
) => void;

/** An EventRecorder that also says how many Events are still being sent. */
export type TrackedEventRecorder<
  Reason extends string = string,
  T extends EventSubject = EventSubject,
> = EventRecorder<Reason, T> & { pending(): number };

/**
 * Events go out best effort and in the background: a reconcile never waits
 * for or fails on one. Messages are capped at 1 KiB as the API server
 * truncates longer ones anyway. `component` is the Events' source
 * (`istio-operator`).
 */
export function eventRecorder(
  client: KubeClient,
  component: string,
  now: () => Date = () => new Date(),
): TrackedEventRecorder {
  const instance = hostname();
  let inFlight = 0;
  const record: EventRecorder = (obj, type, reason, message) => {
    const ts = now().toISOString();
    const event: CoreV1Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${obj.metadata.name}.`, namespace: obj.metadata.namespace! },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name!,
        namespace: obj.metadata.namespace!,
        ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
      },
      reason,
      message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
      type,
      source: { component },
      reportingComponent: component,
      reportingInstance: instance,
      firstTimestamp: ts as unknown as Date,
      lastTimestamp: ts as unknown as Date,
      count: 1,
    };
    inFlight++;
    client
      .createEvent(obj.metadata.namespace!, event)
      .catch((err: unknown) => {
        logger.debug('could not record event', { reason, error: describeKubeError(err) });
      })
      .finally(() => inFlight--);
  };
  return Object.assign(record, { pending: () => inFlight });
}
