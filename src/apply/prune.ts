import type { KubernetesObject } from '@kubernetes/client-node';
import { watchedKind } from './kinds.js';
import type { KubeClient } from '../kube/client.js';
import { describeKubeError, isNotFound } from '../kube/errors.js';
import {
  describeObject,
  identity,
  ownerOf,
  writtenByOperator,
  type LiveState,
  type Owner,
} from './live.js';
import { NOT_PRUNED_LABEL } from '../api/vocabulary.js';

/**
 * The live objects to delete after a successful apply: objects of a watched
 * kind whose owner labels name exactly this IstioOperator and that are no
 * longer desired. Never CRDs, never an object labelled not-pruned, never an
 * object another IstioOperator (or nobody) owns, never an object the operator
 * did not write itself (see {@link writtenByOperator}).
 */
export function pruneCandidates(
  desired: readonly KubernetesObject[],
  live: LiveState,
  owner: Owner,
): KubernetesObject[] {
  const wanted = new Set(desired.map(identity));
  return live
    .ownedBy(owner)
    .filter((o) => {
      const w = watchedKind(o.apiVersion ?? '', o.kind ?? '');
      if (!w || w.neverPrune) return false;
      const who = ownerOf(o);
      if (!who || who.name !== owner.name || who.namespace !== owner.namespace) return false;
      if (o.metadata?.labels?.[NOT_PRUNED_LABEL] === 'true') return false;
      if (o.metadata?.deletionTimestamp) return false;
      if (!writtenByOperator(o)) return false;
      return !wanted.has(identity(o));
    })
    .sort((a, b) => describeObject(a).localeCompare(describeObject(b)));
}

/** Deletes the given objects; returns what was deleted and what failed. */
export async function prune(
  client: KubeClient,
  objects: readonly KubernetesObject[],
): Promise<{ deleted: string[]; errors: string[] }> {
  const deleted: string[] = [];
  const errors: string[] = [];
  await Promise.all(
    objects.map(async (o) => {
      try {
        await client.delete({
          apiVersion: o.apiVersion!,
          kind: o.kind!,
          metadata: {
            name: o.metadata!.name!,
            ...(o.metadata?.namespace ? { namespace: o.metadata.namespace } : {}),
          },
        });
        deleted.push(describeObject(o));
      } catch (err) {
        if (isNotFound(err)) deleted.push(describeObject(o));
        else errors.push(`delete ${describeObject(o)}: ${describeKubeError(err)}`);
      }
    }),
  );
  return { deleted: deleted.sort(), errors: errors.sort() };
}
