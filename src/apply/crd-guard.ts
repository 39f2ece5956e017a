/**
 * Never weaken a live CRD. The operator renders the Istio CRDs of one
 * release (src/render/crds.ts); a cluster may already hold newer ones (an
 * istioctl or Helm install of a later Istio) or CRDs another installer wrote
 * with a richer schema. Applying ours over them would drop served versions
 * (and with them every object stored in them), move the storage version
 * back, or remove validation and printer columns. Such a CRD is left as it
 * is, and the reason is reported (status message, Event, `diff`); the rest
 * of the install goes on.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseVersion } from '../releases/version.js';
import { LABELS } from '../api/vocabulary.js';
import { describeObject } from './live.js';
import { memoBySpec } from './memo.js';

/** A desired CRD left as it is in the cluster, and why. */
export interface KeptCrd {
  name: string;
  reason: string;
}

/** The label Istio's charts (and this operator) put on CRDs: the Istio release they belong to. */
const CRD_VERSION_LABEL = 'app.kubernetes.io/version';

type Rec = Record<string, unknown>;

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: unknown };
  additionalPrinterColumns?: unknown[];
}

function versions(crd: KubernetesObject): CrdVersion[] {
  const v = (crd as { spec?: { versions?: unknown } }).spec?.versions;
  return Array.isArray(v) ? (v as CrdVersion[]) : [];
}

/** `a` > `b` as Istio releases (major, minor, patch); false when either names none. */
function newerRelease(a: string, b: string): boolean {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) return false;
  if (x.major !== y.major) return x.major > y.major;
  if (x.minor !== y.minor) return x.minor > y.minor;
  return (x.patch ?? 0) > (y.patch ?? 0);
}

/**
 * How much a schema says: property names at every level, CEL rules, enum
 * values and patterns. An open schema (`x-kubernetes-preserve-unknown-fields`)
 * says almost nothing; Istio's say thousands of things.
 */
export function schemaWeight(schema: unknown): number {
  if (Array.isArray(schema)) return schema.reduce<number>((n, x) => n + schemaWeight(x), 0);
  if (schema === null || typeof schema !== 'object') return 0;
  let n = 0;
  for (const [k, v] of Object.entries(schema as Rec)) {
    if (k === 'description') continue;
    if (k === 'properties' && v && typeof v === 'object') n += Object.keys(v).length;
    if ((k === 'x-kubernetes-validations' || k === 'enum') && Array.isArray(v)) n += v.length;
    if (k === 'pattern' || k === 'format') n += 1;
    n += schemaWeight(v);
  }
  return n;
}

/**
 * Kubernetes' order of API versions: GA above beta above alpha, then by
 * number (`v1` > `v1beta1` > `v1alpha3`), as `kubectl` sorts them.
 */
export function compareApiVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    const stage = m[2] === 'alpha' ? 1 : m[2] === 'beta' ? 2 : 3;
    return [stage, Number(m[1]), Number(m[3] ?? 0)];
  };
  const [x, y] = [rank(a), rank(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

/**
 * Why applying `desired` over `live` would weaken it, or undefined when it
 * would not. A live CRD labelled with an Istio release is judged by that
 * label: newer is kept, older is replaced, the same release only when its
 * schema says more. Without the label (another installer): kept when it
 * serves a version ours does not, stores objects in a later version than
 * ours, or its schema or printer columns say more than ours for a version
 * both serve.
 */
export function weakening(desired: KubernetesObject, live: KubernetesObject): string | undefined {
  // Istio's installers write the release into app.kubernetes.io/version; this
  // operator's ownership labels carry it in operator.istio.io/version.
  const releaseOf = (o: KubernetesObject) =>
    o.metadata?.labels?.[CRD_VERSION_LABEL] ?? o.metadata?.labels?.[LABELS.version];
  const liveRelease = releaseOf(live);
  const ours = releaseOf(desired) ?? 'unknown';
  const labelled = liveRelease !== undefined && parseVersion(liveRelease) !== undefined;
  if (labelled && newerRelease(liveRelease, ours)) {
    return `installed by Istio ${liveRelease}, newer than the Istio ${ours} CRDs this operator installs`;
  }
  if (labelled && newerRelease(ours, liveRelease)) return undefined;
  const mine = new Map(versions(desired).map((v) => [v.name, v]));
  if (!labelled) {
    const unknown = versions(live)
      .filter((v) => v.served !== false && !mine.has(v.name))
      .map((v) => v.name);
    if (unknown.length > 0) {
      return `it serves ${unknown.join(', ')}, which the Istio ${ours} CRD does not (a newer Istio?)`;
    }
    const liveStorage = versions(live).find((v) => v.storage)?.name;
    const ourStorage = versions(desired).find((v) => v.storage)?.name;
    if (liveStorage && ourStorage && compareApiVersions(liveStorage, ourStorage) > 0) {
      return `it stores objects as ${liveStorage}, later than ${ourStorage} of the Istio ${ours} CRD (a newer Istio?)`;
    }
  }
  for (const lv of versions(live)) {
    const dv = mine.get(lv.name);
    if (!dv) continue;
    const liveSchema = schemaWeight(lv.schema?.openAPIV3Schema);
    const ourSchema = schemaWeight(dv.schema?.openAPIV3Schema);
    if (liveSchema > ourSchema) {
      return `its ${lv.name} schema says more than the Istio ${ours} one (${liveSchema} fields and rules against ${ourSchema}; another installer?)`;
    }
    const liveColumns = lv.additionalPrinterColumns?.length ?? 0;
    const ourColumns = dv.additionalPrinterColumns?.length ?? 0;
    if (liveColumns > ourColumns) {
      return `its ${lv.name} version has more printer columns than the Istio ${ours} one (${liveColumns} against ${ourColumns})`;
    }
  }
  return undefined;
}

/** {@link weakening}, asked again only when the live CRD's spec, labels or annotations changed (it reads no status). */
const weakeningOf = memoBySpec(weakening);

/** Finds the live CRD of a name (the cache, else the API server); undefined when there is none. */
export type CrdLookup = (name: string) => Promise<KubernetesObject | undefined>;

/**
 * Splits `objects` into what to apply and the CRDs to leave as they are.
 * Objects other than CRDs, and CRDs with no live counterpart, are applied.
 */
export async function guardCrds<T extends KubernetesObject>(
  objects: readonly T[],
  lookup: CrdLookup,
): Promise<{ apply: T[]; kept: KeptCrd[] }> {
  const apply: T[] = [];
  const kept: KeptCrd[] = [];
  // Looked up at once: on a cluster without them each is a GET (15 of them
  // one after another cost a fresh install 80 ms before its first write).
  const lives = await Promise.all(
    objects.map((o) =>
      o.kind === 'CustomResourceDefinition' && o.metadata?.name
        ? lookup(o.metadata.name)
        : undefined,
    ),
  );
  for (const [i, o] of objects.entries()) {
    const live = lives[i];
    // Only a named CRD was looked up.
    const reason = live && weakeningOf(o, live);
    if (reason) kept.push({ name: o.metadata!.name!, reason });
    else apply.push(o);
  }
  return { apply, kept };
}

/**
 * One line per reason, naming the CRDs: for status messages, Events and
 * `diff` (14 CRDs of one newer release make one line, not 14).
 */
export function describeKept(kept: readonly KeptCrd[]): string[] {
  const byReason = new Map<string, string[]>();
  for (const k of kept) byReason.set(k.reason, [...(byReason.get(k.reason) ?? []), k.name]);
  return [...byReason].map(
    ([reason, names]) =>
      `${names.length === 1 ? describeObject({ kind: 'CustomResourceDefinition', metadata: { name: names[0] } }) : `${names.length} CustomResourceDefinitions (${[...names].sort().join(', ')})`} left as ${names.length === 1 ? 'it is' : 'they are'}: ${reason}`,
  );
}
