import { requestBody, withDesiredHash } from './applier.js';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/client.js';
import { describeKubeError, isNotFound } from '../kube/errors.js';
import { diffJson, type FieldChange } from '../diff/fields.js';
import { describeKept, weakening, type KeptCrd } from './crd-guard.js';
import { WATCHED_KINDS } from './kinds.js';
import { describeObject, identity, ownerOf, writtenByOperator, type Owner } from './live.js';
import { LABELS, NOT_PRUNED_LABEL } from '../api/vocabulary.js';
import type { Json } from '../json/value.js';

/** What applying a manifest would do, object by object. */
export interface Preview {
  create: string[];
  change: { object: string; fields: FieldChange[] }[];
  unchanged: number;
  prune: string[];
  /** Shared Base objects another IstioOperator owns (the operator leaves them to it), by owner. */
  leftToOwner: string[];
  /** Objects the API server refused in the dry run (the real apply would fail too). */
  errors: string[];
  /** Live CRDs newer or richer than ours, which the operator leaves as they are (crd-guard.ts). */
  keptCrds: KeptCrd[];
}

/** Fields the server maintains: never a difference a user cares about. */
function comparable(o: KubernetesObject): Json {
  const copy = structuredClone(o) as Record<string, unknown>;
  delete copy.status;
  const meta = { ...((copy.metadata ?? {}) as Record<string, unknown>) };
  for (const f of ['managedFields', 'resourceVersion', 'generation', 'creationTimestamp', 'uid'])
    delete meta[f];
  copy.metadata = meta;
  return copy as Json;
}

/**
 * Asks the API server what applying `desired` would change, without changing
 * anything: a server-side-apply dry run per object (so defaults, admission
 * and field ownership are the server's own), compared field by field with
 * the live object; plus the owned objects a reconcile would prune.
 */
export async function previewApply(
  client: KubeClient,
  desired: readonly KubernetesObject[],
  owner: Owner,
): Promise<Preview> {
  const out: Preview = {
    create: [],
    change: [],
    unchanged: 0,
    prune: [],
    leftToOwner: [],
    errors: [],
    keptCrds: [],
  };
  for (const d of desired) {
    let live: KubernetesObject | undefined;
    try {
      live = await client.get(d as never);
    } catch (err) {
      if (!isNotFound(err)) {
        out.errors.push(`${describeObject(d)}: ${describeKubeError(err)}`);
        continue;
      }
    }
    if (!live) {
      out.create.push(describeObject(d));
      continue;
    }
    const who = ownerOf(live);
    if (
      d.metadata?.labels?.[LABELS.component] === 'Base' &&
      who &&
      (who.name !== owner.name || who.namespace !== owner.namespace)
    ) {
      out.leftToOwner.push(`IstioOperator ${who.namespace}/${who.name}`);
      continue;
    }
    const weaker = d.kind === 'CustomResourceDefinition' ? weakening(d, live) : undefined;
    if (weaker) {
      out.keptCrds.push({ name: d.metadata!.name!, reason: weaker });
      continue;
    }
    try {
      // Exactly what the operator would send, digest annotation included.
      const after = await client.apply(requestBody(withDesiredHash(d), live), true);
      const fields = diffJson(comparable(live), comparable(after));
      if (fields.length === 0) out.unchanged++;
      else out.change.push({ object: describeObject(d), fields });
    } catch (err) {
      out.errors.push(`${describeObject(d)}: ${describeKubeError(err)}`);
    }
  }
  const wanted = new Set(desired.map(identity));
  const selector = `${LABELS.owner}=${owner.name},${LABELS.ownerNamespace}=${owner.namespace}`;
  for (const k of WATCHED_KINDS.filter((w) => !w.neverPrune)) {
    const objs = await client.list(k, undefined, selector).catch(() => []);
    for (const o of objs) {
      const who = ownerOf(o);
      if (!who || !writtenByOperator(o) || wanted.has(identity(o))) continue;
      if (o.metadata?.labels?.[NOT_PRUNED_LABEL] === 'true') continue;
      out.prune.push(describeObject(o));
    }
  }
  out.prune.sort();
  return out;
}

const show = (v: Json | undefined) => (v === undefined ? '(none)' : JSON.stringify(v));

/** The preview as a person reads it: `+` create, `~` change (with fields), `-` prune. */
export function formatPreview(p: Preview): string {
  const lines: string[] = [];
  for (const o of p.create) lines.push(`+ ${o}`);
  for (const c of p.change) {
    lines.push(`~ ${c.object}`);
    for (const f of c.fields.slice(0, 20))
      lines.push(`    ${f.path}: ${show(f.before)} → ${show(f.after)}`);
    if (c.fields.length > 20) lines.push(`    … and ${c.fields.length - 20} more fields`);
  }
  for (const o of p.prune) lines.push(`- ${o}`);
  for (const e of p.errors) lines.push(`! ${e}`);
  const owners = new Map<string, number>();
  for (const o of p.leftToOwner) owners.set(o, (owners.get(o) ?? 0) + 1);
  for (const [o, n] of owners)
    lines.push(`= ${n} shared Base object(s) left to ${o}, which owns them`);
  for (const k of describeKept(p.keptCrds)) lines.push(`= ${k}`);
  lines.push(
    `${p.create.length} to create, ${p.change.length} to change, ${p.prune.length} to prune, ${p.unchanged} unchanged` +
      (p.errors.length ? `, ${p.errors.length} refused by the API server` : ''),
  );
  return lines.join('\n') + '\n';
}
