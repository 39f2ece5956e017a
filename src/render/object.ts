/**
 * The plain Kubernetes object every renderer returns. Renderers build these
 * as ordinary data; nothing here knows about clients or the API server.
 */

import type { Json } from '../json/value.js';

/** metadata of a rendered object: only the fields a renderer may set. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A rendered Kubernetes object. Fields other than metadata are plain JSON. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: Json | ObjectMeta | undefined;
}

/** `kind/namespace/name` (namespace empty for cluster-scoped objects): how objects are told apart. */
export function objectKey(o: Pick<K8sObject, 'kind' | 'metadata'>): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}
