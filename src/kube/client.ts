import type * as k8s from '@kubernetes/client-node';
import type { KubeAccess } from './access.js';
import { toKubeError } from './errors.js';
import { kubeRequest } from './request.js';
import { collectionPath, resourceTypeOf, type ResourceType } from './resource.js';

/** The field manager every server-side apply of the operator uses. */
export const FIELD_MANAGER = 'istio-operator';

/** Verbs counted by {@link KubeClient}; `apply` is a PATCH, counted separately for clarity. */
export type Verb = 'get' | 'list' | 'create' | 'apply' | 'patch' | 'update' | 'delete';

/** Verbs that change state in the API server. */
export const WRITE_VERBS: readonly Verb[] = ['create', 'apply', 'patch', 'update', 'delete'];

/** One operation of a JSON patch. */
export type JsonPatchOp =
  { op: 'test' | 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };

/** A reference to one object. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

/**
 * The one module through which the operator's reconcile path talks to the
 * API server (informers aside). It counts requests by verb and outcome —
 * the zero-writes-in-steady-state promise is tested on these counts, and the
 * metrics endpoint exports them — and it leaves error interpretation to
 * kube/errors.ts.
 */
export class KubeClient {
  /** Requests issued, by `verb` then HTTP code (0 = no answer). */
  readonly requests = new Map<Verb, Map<number, number>>();

  constructor(readonly kubeConfig: KubeAccess) {}

  private async count<T>(verb: Verb, call: () => Promise<T>): Promise<T> {
    const byCode = this.requests.get(verb) ?? new Map<number, number>();
    this.requests.set(verb, byCode);
    try {
      const out = await call();
      byCode.set(200, (byCode.get(200) ?? 0) + 1);
      return out;
    } catch (err) {
      const code = toKubeError(err).code;
      byCode.set(code, (byCode.get(code) ?? 0) + 1);
      throw err;
    }
  }

  private async json<T>(
    verb: Verb,
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<T> {
    const res = await this.count(verb, () =>
      kubeRequest(this.kubeConfig, method, path, body, contentType),
    );
    return (res.body ? JSON.parse(res.body) : {}) as T;
  }

  /** Total requests of the given verbs so far. */
  total(verbs: readonly Verb[] = WRITE_VERBS): number {
    let n = 0;
    for (const v of verbs) for (const c of this.requests.get(v)?.values() ?? []) n += c;
    return n;
  }

  /** Reads one object; throws NotFound if it does not exist. */
  async get<T extends k8s.KubernetesObject>(ref: ObjectRef): Promise<T> {
    return await this.json<T>('get', 'GET', objectPath(ref));
  }

  /** Lists objects of a type (raw JSON, with the list's resourceVersion). */
  async listRaw<T extends k8s.KubernetesObject>(
    rt: ResourceType,
    namespace?: string,
    labelSelector?: string,
    fieldSelector?: string,
  ): Promise<k8s.KubernetesListObject<T>> {
    const params = new URLSearchParams();
    if (labelSelector) params.set('labelSelector', labelSelector);
    if (fieldSelector) params.set('fieldSelector', fieldSelector);
    const q = params.size > 0 ? `?${params.toString()}` : '';
    const list = await this.json<k8s.KubernetesListObject<T>>(
      'list',
      'GET',
      collectionPath(rt, namespace) + q,
    );
    // List items carry no apiVersion/kind on the wire; watch events do. Make them alike.
    list.items ??= [];
    for (const item of list.items) {
      item.apiVersion ??= rt.apiVersion;
      item.kind ??= rt.kind;
    }
    return list;
  }

  /** Lists objects of a type, optionally in one namespace and by label selector. */
  async list<T extends k8s.KubernetesObject>(
    rt: ResourceType,
    namespace?: string,
    labelSelector?: string,
  ): Promise<T[]> {
    return (await this.listRaw<T>(rt, namespace, labelSelector)).items;
  }

  /** Server-side apply with our field manager, forcing ownership of the fields we set. */
  async apply<T extends k8s.KubernetesObject>(obj: T, dryRun = false): Promise<T> {
    const q = `?fieldManager=${FIELD_MANAGER}&force=true${dryRun ? '&dryRun=All' : ''}`;
    return await this.json<T>(
      'apply',
      'PATCH',
      objectPath(refOf(obj)) + q,
      obj,
      'application/apply-patch+yaml',
    );
  }

  /** JSON merge patch (used for finalizers and metadata only). */
  async mergePatch<T extends k8s.KubernetesObject>(obj: T): Promise<T> {
    return await this.json<T>(
      'patch',
      'PATCH',
      objectPath(refOf(obj)) + `?fieldManager=${FIELD_MANAGER}`,
      obj,
      'application/merge-patch+json',
    );
  }

  /**
   * JSON patch (RFC 6902): the one way to remove particular list elements,
   * with `test` operations guarding against a list that changed since it was
   * read (a failed test is a 422 and nothing is changed).
   */
  async jsonPatch<T extends k8s.KubernetesObject>(ref: ObjectRef, ops: JsonPatchOp[]): Promise<T> {
    return await this.json<T>(
      'patch',
      'PATCH',
      objectPath(ref) + `?fieldManager=${FIELD_MANAGER}`,
      ops,
      'application/json-patch+json',
    );
  }

  /** Creates an object (POST); throws AlreadyExists if it exists. Used for Leases. */
  async create<T extends k8s.KubernetesObject>(obj: T): Promise<T> {
    const ref = refOf(obj);
    const rt = resourceTypeOf(ref.apiVersion, ref.kind);
    if (!rt) throw new Error(`${ref.kind} (${ref.apiVersion}) is not a kind this operator manages`);
    return await this.json<T>('create', 'POST', collectionPath(rt, ref.metadata.namespace), obj);
  }

  /**
   * Replaces an object (PUT). With `metadata.resourceVersion` set this is a
   * compare-and-swap: the server answers 409 Conflict if the object changed
   * since it was read (leader election relies on it).
   */
  async replace<T extends k8s.KubernetesObject>(obj: T): Promise<T> {
    return await this.json<T>('update', 'PUT', objectPath(refOf(obj)), obj);
  }

  /** Replaces the status subresource (optimistic concurrency on resourceVersion). */
  async replaceStatus<T extends k8s.KubernetesObject>(obj: T): Promise<T> {
    return await this.json<T>('update', 'PUT', objectPath(refOf(obj)) + '/status', obj);
  }

  /** Deletes an object in the background (dependents are garbage-collected). */
  async delete(ref: ObjectRef): Promise<void> {
    await this.json('delete', 'DELETE', objectPath(ref), {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: 'Background',
    });
  }

  /** Creates an Event (best effort: callers catch). */
  async createEvent(namespace: string, event: k8s.CoreV1Event): Promise<void> {
    await this.json(
      'create',
      'POST',
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
      event,
    );
  }
}

function refOf(o: k8s.KubernetesObject): ObjectRef {
  return {
    apiVersion: o.apiVersion ?? '',
    kind: o.kind ?? '',
    metadata: {
      name: o.metadata?.name ?? '',
      ...(o.metadata?.namespace ? { namespace: o.metadata.namespace } : {}),
    },
  };
}

/** The URL path of one object. Plurals come from the watch table (or the IstioOperator type). */
export function objectPath(ref: ObjectRef): string {
  const rt = resourceTypeOf(ref.apiVersion, ref.kind);
  if (!rt) throw new Error(`${ref.kind} (${ref.apiVersion}) is not a kind this operator manages`);
  return `${collectionPath(rt, ref.metadata.namespace)}/${encodeURIComponent(ref.metadata.name)}`;
}
