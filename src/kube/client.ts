import * as k8s from '@kubernetes/client-node';
import { toKubeError } from './errors.js';
import type { ResourceType } from './resource.js';

/** The field manager every server-side apply of the operator uses. */
export const FIELD_MANAGER = 'istio-operator';

/** Verbs counted by {@link KubeClient}; `apply` is a PATCH, counted separately for clarity. */
export type Verb = 'get' | 'list' | 'create' | 'apply' | 'patch' | 'update' | 'delete';

/** Verbs that change state in the API server. */
export const WRITE_VERBS: readonly Verb[] = ['create', 'apply', 'patch', 'update', 'delete'];

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
  readonly objects: k8s.KubernetesObjectApi;
  /** Requests issued, by `verb` then HTTP code (0 = no answer). */
  readonly requests = new Map<Verb, Map<number, number>>();

  constructor(readonly kubeConfig: k8s.KubeConfig) {
    this.objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
  }

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

  /** Total requests of the given verbs so far. */
  total(verbs: readonly Verb[] = WRITE_VERBS): number {
    let n = 0;
    for (const v of verbs) for (const c of this.requests.get(v)?.values() ?? []) n += c;
    return n;
  }

  /** Reads one object; throws NotFound if it does not exist. */
  async get<T extends k8s.KubernetesObject>(ref: ObjectRef): Promise<T> {
    return await this.count('get', () =>
      this.objects.read<T>(ref as Parameters<k8s.KubernetesObjectApi['read']>[0]),
    );
  }

  /** Lists objects of a type, optionally in one namespace and by label selector. */
  async list<T extends k8s.KubernetesObject>(
    rt: ResourceType,
    namespace?: string,
    labelSelector?: string,
  ): Promise<T[]> {
    const res = await this.count('list', () =>
      this.objects.list<T>(
        rt.apiVersion,
        rt.kind,
        rt.namespaced ? namespace : undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        labelSelector,
      ),
    );
    return res.items;
  }

  /** Server-side apply with our field manager, forcing ownership of the fields we set. */
  async apply<T extends k8s.KubernetesObject>(obj: T, dryRun = false): Promise<T> {
    return await this.count('apply', () =>
      this.objects.patch<T>(
        obj,
        undefined,
        dryRun ? 'All' : undefined,
        FIELD_MANAGER,
        true,
        k8s.PatchStrategy.ServerSideApply,
      ),
    );
  }

  /** JSON merge patch (used for finalizers and metadata only). */
  async mergePatch<T extends k8s.KubernetesObject>(obj: T): Promise<T> {
    return await this.count('patch', () =>
      this.objects.patch<T>(
        obj,
        undefined,
        undefined,
        FIELD_MANAGER,
        undefined,
        k8s.PatchStrategy.MergePatch,
      ),
    );
  }

  /** Replaces the status subresource of a custom resource. */
  async replaceStatus(
    rt: ResourceType,
    namespace: string,
    name: string,
    body: k8s.KubernetesObject,
  ): Promise<k8s.KubernetesObject> {
    const [group, version] = rt.apiVersion.split('/') as [string, string];
    const api = this.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    return (await this.count('update', () =>
      api.replaceNamespacedCustomObjectStatus({
        group,
        version,
        namespace,
        plural: rt.plural,
        name,
        body,
      }),
    )) as k8s.KubernetesObject;
  }

  /** Deletes an object in the background (dependents are garbage-collected). */
  async delete(ref: ObjectRef): Promise<void> {
    await this.count('delete', () =>
      this.objects.delete(ref, undefined, undefined, undefined, undefined, 'Background'),
    );
  }

  /** Creates an Event (best effort callers should catch). */
  async createEvent(namespace: string, event: k8s.CoreV1Event): Promise<void> {
    const core = this.kubeConfig.makeApiClient(k8s.CoreV1Api);
    await this.count('create', () => core.createNamespacedEvent({ namespace, body: event }));
  }
}
