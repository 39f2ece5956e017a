import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import { isJsonObject, type Json, type JsonObject } from '../../src/json/value.js';
import type { K8sObject } from '../../src/render/object.js';
import { ALLOW_LIST, type Allowance, type Suite } from './allow-list.js';

/** `apiVersion kind namespace/name`: the identity both renders must agree on. */
export function identity(o: K8sObject): string {
  return `${o.apiVersion} ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/**
 * A string that holds a JSON object or array (PROXY_CONFIG, the injection
 * status annotation, ISTIO_META_POD_PORTS, …) as the document it holds:
 * two writers print the same document with different whitespace.
 */
function parseJsonText(v: string): Json | undefined {
  if (!/^\s*[[{]/.test(v)) return undefined;
  try {
    return JSON.parse(v) as Json;
  } catch {
    return undefined;
  }
}

/**
 * A ConfigMap data value that holds a YAML or JSON document (the mesh
 * config, the injector's `config` and `values`) as the document; plain
 * text stays text.
 */
function parseDocumentText(v: string): Json {
  try {
    const doc = yaml.load(v) as Json;
    return isJsonObject(doc) || Array.isArray(doc) ? doc : v;
  } catch {
    return v;
  }
}

/** Values the API server stores for an absent field, per place in a probe. */
const PROBE_DEFAULTS: JsonObject = {
  timeoutSeconds: 1,
  periodSeconds: 10,
  successThreshold: 1,
  failureThreshold: 3,
};

function withDefaults(o: Json, defaults: JsonObject): Json {
  return isJsonObject(o) ? { ...defaults, ...o } : o;
}

/** A probe as stored: period/timeout/thresholds and the HTTP scheme filled in. */
function probe(p: Json): Json {
  if (!isJsonObject(p)) return p;
  const out = withDefaults(p, PROBE_DEFAULTS) as JsonObject;
  if (isJsonObject(out.httpGet ?? null))
    out.httpGet = withDefaults(out.httpGet!, { scheme: 'HTTP' });
  return out;
}

/** A container as stored: port protocols and probe defaults filled in. */
function container(c: Json): Json {
  if (!isJsonObject(c)) return c;
  const out: JsonObject = { ...c };
  if (Array.isArray(out.ports))
    out.ports = out.ports.map((p) => withDefaults(p, { protocol: 'TCP' }));
  for (const k of ['readinessProbe', 'livenessProbe', 'startupProbe'])
    if (out[k] !== undefined) out[k] = probe(out[k]);
  return out;
}

/**
 * The object as the API server would store it, for comparison: embedded
 * JSON/YAML documents parsed, the server's defaults for absent fields
 * filled in (Service and container port protocol TCP, Service targetPort =
 * port, type ClusterIP, probe timings and scheme), and empty values (null,
 * "", {}, []) dropped, since the server treats them as absent.
 */
export function canonical(o: K8sObject): Json {
  const walk = (v: Json, key: string): Json => {
    if (typeof v === 'string') return parseJsonText(v) ?? v;
    if (Array.isArray(v)) {
      const items = key === 'containers' || key === 'initContainers' ? v.map(container) : v;
      return items.map((x) => walk(x, ''));
    }
    if (!isJsonObject(v)) return v;
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = walk(x, k);
    return out;
  };
  const copy = JSON.parse(JSON.stringify(o)) as JsonObject;
  if (o.kind === 'ConfigMap' && isJsonObject(copy.data ?? null)) {
    const data = copy.data as JsonObject;
    for (const [k, v] of Object.entries(data))
      if (typeof v === 'string') data[k] = parseDocumentText(v);
  }
  if (o.kind === 'Service' && isJsonObject(copy.spec ?? null)) {
    const spec = copy.spec as JsonObject;
    spec.type ??= 'ClusterIP';
    if (Array.isArray(spec.ports))
      spec.ports = spec.ports.map((p) =>
        isJsonObject(p) ? { protocol: 'TCP', targetPort: p.port ?? null, ...p } : p,
      );
  }
  return dropEmpty(walk(copy, '')) ?? {};
}

/** Drops null, "", {} and [] (recursively), which the API server stores as absent. */
function dropEmpty(v: Json): Json | undefined {
  if (v === null || v === '') return undefined;
  if (Array.isArray(v)) {
    const items = v.map(dropEmpty).filter((x): x is Json => x !== undefined);
    return items.length ? items : undefined;
  }
  if (isJsonObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      const d = dropEmpty(x);
      if (d !== undefined) out[k] = d;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v;
}

/** Number of leaves (scalars) of a value: what the equal-field share counts. */
export function leafCount(v: Json | undefined): number {
  if (v === undefined) return 0;
  if (Array.isArray(v)) return v.reduce<number>((n, x) => n + leafCount(x), 0);
  if (isJsonObject(v)) return Object.values(v).reduce<number>((n, x) => n + leafCount(x), 0);
  return 1;
}

/** One difference between the oracle and our render, at the highest path where they part. */
export interface Difference {
  object: string;
  kind: string;
  name: string;
  /** `(object)` for an object one side lacks; else a dotted path, list items as `[name=x]` or `[i]`. */
  path: string;
  oracle?: Json;
  ours?: Json;
  /** Leaves under the path (the larger side): how many fields this difference counts for. */
  leaves: number;
}

/** The outcome of comparing one input. */
export interface Comparison {
  /** Differences no allow-list entry explains: the test fails on any. */
  unexplained: Difference[];
  /** Differences explained, with the allow-list entry that explains each. */
  allowed: { diff: Difference; by: Allowance }[];
  /** Leaves (fields) of both renders together, each counted once. */
  fields: number;
  /** Leaves present on both sides with the same value. */
  equal: number;
}

/** The key a list's items are matched by: a unique `name`, else their position. */
function nameKeyed(a: Json[], b: Json[]): boolean {
  const unique = (l: Json[]) => {
    const names = l.map((e) => (isJsonObject(e) && typeof e.name === 'string' ? e.name : null));
    return names.every((n) => n !== null) && new Set(names).size === names.length;
  };
  return unique(a) && unique(b);
}

/**
 * Pairs the items of two lists without a key by position, anchored on
 * equal items: identical items are matched as in diff(1) (longest common
 * subsequence), and the items between two anchors are paired in order, the
 * surplus of the longer side left unpaired. So one rule added to a
 * ClusterRole is one difference, not a shift of every rule after it.
 */
function alignByPosition(a: Json[], b: Json[]): [number | undefined, number | undefined][] {
  const as = a.map((x) => JSON.stringify(x));
  const bs = b.map((x) => JSON.stringify(x));
  // lcs[i][j]: length of the longest common subsequence of as[i..] and bs[j..].
  const lcs = Array.from({ length: as.length + 1 }, () => new Array<number>(bs.length + 1).fill(0));
  for (let i = as.length - 1; i >= 0; i--)
    for (let j = bs.length - 1; j >= 0; j--)
      lcs[i]![j] =
        as[i] === bs[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const pairs: [number | undefined, number | undefined][] = [];
  let gapA: number[] = [];
  let gapB: number[] = [];
  const flush = () => {
    for (let k = 0; k < Math.max(gapA.length, gapB.length); k++) pairs.push([gapA[k], gapB[k]]);
    gapA = [];
    gapB = [];
  };
  let i = 0;
  let j = 0;
  while (i < as.length || j < bs.length) {
    if (i < as.length && j < bs.length && as[i] === bs[j]) {
      flush();
      pairs.push([i++, j++]);
    } else if (j >= bs.length || (i < as.length && lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      gapA.push(i++);
    } else {
      gapB.push(j++);
    }
  }
  flush();
  return pairs;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/**
 * Walks two canonical trees in step: maps by key, lists of uniquely named
 * items by name (containers, env, ports, volumes, webhooks, CRD versions),
 * other lists by position; counts equal leaves and reports each difference
 * once, at the highest path where the two part.
 */
function diffTrees(
  a: Json | undefined,
  b: Json | undefined,
  path: string,
  emit: (path: string, a: Json | undefined, b: Json | undefined) => void,
  equal: () => void,
): void {
  if (a === undefined && b === undefined) return;
  if (isJsonObject(a ?? null) && isJsonObject(b ?? null)) {
    const ao = a as JsonObject;
    const bo = b as JsonObject;
    for (const k of [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort())
      diffTrees(ao[k], bo[k], join(path, k), emit, equal);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (nameKeyed(a, b)) {
      const byName = (l: Json[]) => new Map(l.map((e) => [(e as { name: string }).name, e]));
      const an = byName(a);
      const bn = byName(b);
      for (const n of [...new Set([...an.keys(), ...bn.keys()])])
        diffTrees(an.get(n), bn.get(n), `${path}[name=${n}]`, emit, equal);
      // The order of the items is a field too (containers run in order; an
      // env entry may refer to the ones before it), compared over the names
      // both sides have.
      const common = (l: Json[], other: Map<string, Json>) =>
        l.map((e) => (e as { name: string }).name).filter((n) => other.has(n));
      const ao = common(a, bn);
      const bo = common(b, an);
      if (ao.length > 1) {
        if (ao.join('\n') === bo.join('\n')) equal();
        else emit(`${path}(order)`, ao, bo);
      }
      return;
    }
    for (const [i, j] of alignByPosition(a, b))
      diffTrees(
        i === undefined ? undefined : a[i],
        j === undefined ? undefined : b[j],
        `${path}[${i ?? j}]`,
        emit,
        equal,
      );
    return;
  }
  if (a !== undefined && b !== undefined && !isJsonObject(a) && !Array.isArray(a) && a === b) {
    equal();
    return;
  }
  emit(path, a, b);
}

function matches(a: Allowance, d: Difference): boolean {
  if (a.kind && !a.kind.test(d.kind)) return false;
  if (a.name && !a.name.test(d.name)) return false;
  if (!a.path.test(d.path)) return false;
  if (a.side === 'oracle-only' && (d.oracle === undefined || d.ours !== undefined)) return false;
  if (a.side === 'ours-only' && (d.ours === undefined || d.oracle !== undefined)) return false;
  return a.accepts ? a.accepts(d) : true;
}

/** `<suite>:<id>` of allow-list entries that explained at least one difference in this process. */
const USED = new Set<string>();

/**
 * Entries of `suite` that explained nothing in this process: stale, unless
 * the suite did not run. Each entry names exactly the suites it serves.
 */
export function staleAllowances(suite: Suite): string[] {
  return ALLOW_LIST.filter((a) => a.suites.includes(suite) && !USED.has(`${suite}:${a.id}`)).map(
    (a) => a.id,
  );
}

/**
 * Compares the oracle's objects with ours, whole: the same identities, then
 * every field of each pair in canonical form. Each difference is explained
 * by the first matching allow-list entry of `suite` or reported as
 * unexplained; the field counts give the share of equal fields.
 */
export function compareObjects(suite: Suite, oracle: K8sObject[], ours: K8sObject[]): Comparison {
  const a = new Map(oracle.map((o) => [identity(o), o]));
  const b = new Map(ours.map((o) => [identity(o), o]));
  const result: Comparison = { unexplained: [], allowed: [], fields: 0, equal: 0 };
  const record = (d: Difference) => {
    result.fields += d.leaves;
    const by = ALLOW_LIST.find((al) => al.suites.includes(suite) && matches(al, d));
    if (by) {
      USED.add(`${suite}:${by.id}`);
      result.allowed.push({ diff: d, by });
    } else result.unexplained.push(d);
  };
  for (const id of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(id);
    const y = b.get(id);
    const o = (x ?? y)!;
    const base = { object: id, kind: o.kind, name: o.metadata.name };
    if (!x || !y) {
      const whole = canonical(o);
      record({
        ...base,
        path: '(object)',
        ...(x ? { oracle: whole } : { ours: whole }),
        leaves: leafCount(whole),
      });
      continue;
    }
    diffTrees(
      canonical(x),
      canonical(y),
      '',
      (path, p, q) =>
        record({
          ...base,
          path,
          ...(p !== undefined ? { oracle: p } : {}),
          ...(q !== undefined ? { ours: q } : {}),
          leaves: Math.max(leafCount(p), leafCount(q)),
        }),
      () => {
        result.fields += 1;
        result.equal += 1;
      },
    );
  }
  return result;
}

/** Leaves explained by allow-list entries. */
export function allowedLeaves(r: Comparison): number {
  return r.allowed.reduce((n, x) => n + x.diff.leaves, 0);
}

/**
 * One line for the run's log: the share of equal fields outside the
 * allow-list (the goal: 100 %) and counting every field.
 */
export function formatShare(label: string, r: Comparison): string {
  const allowed = allowedLeaves(r);
  const outside = r.fields - allowed;
  const pct = (n: number, d: number) => (d === 0 ? '100.00' : ((100 * n) / d).toFixed(2));
  return (
    `${label}: ${pct(r.equal, outside)} % of ${outside} fields equal outside the allow-list ` +
    `(${pct(r.equal, r.fields)} % of all ${r.fields}; ${allowed} allow-listed)`
  );
}

/** One line per difference, for failure messages (long values cut). */
export function formatDifferences(diffs: Difference[]): string {
  const show = (v: Json | undefined) => {
    if (v === undefined) return '<absent>';
    const s = JSON.stringify(v);
    return s.length > 300 ? `${s.slice(0, 300)}…` : s;
  };
  return diffs
    .map((d) => `  ${d.object} ${d.path}: istioctl ${show(d.oracle)} / ours ${show(d.ours)}`)
    .join('\n');
}

/**
 * Asserts one input's render equals the oracle's, whole: the same objects,
 * and no difference the allow-list does not explain. Returns the
 * comparison.
 */
export function assertSameManifest(
  theirs: K8sObject[],
  ours: K8sObject[],
  /** Told the comparison before anything is asserted on it (the suites' share lines). */
  report: (r: Comparison) => void,
): Comparison {
  assert.deepEqual(ours.map(identity).sort(), theirs.map(identity).sort(), 'same objects');
  const r = compareObjects('manifest', theirs, ours);
  report(r);
  // (The empty profile renders nothing on either side: nothing to compare.)
  assert.ok(r.equal > 0 || theirs.length === 0, 'the comparison saw equal fields');
  assert.equal(
    r.unexplained.length,
    0,
    `${r.unexplained.length} unexplained difference(s):\n${formatDifferences(r.unexplained)}`,
  );
  return r;
}

/**
 * The mesh ConfigMaps' `mesh` and `meshNetworks` texts of one input that
 * differ between the oracle's render and ours (byte for byte: a take-over
 * rewrites nothing), and how many texts were compared.
 */
export function meshTextDifferences(
  input: string,
  theirs: K8sObject[],
  ours: K8sObject[],
): { compared: number; differing: string[] } {
  const texts = (objs: K8sObject[]) =>
    objs
      .filter((o) => o.kind === 'ConfigMap' && /^istio(-.+)?$/.test(o.metadata.name))
      .map((o) => ({ name: o.metadata.name, data: o.data as Record<string, string> }));
  const mine = texts(ours);
  let compared = 0;
  const differing: string[] = [];
  for (const t of texts(theirs)) {
    const o = mine.find((m) => m.name === t.name);
    for (const key of ['mesh', 'meshNetworks']) {
      compared++;
      if (o?.data[key] !== t.data[key])
        differing.push(
          `${input} ConfigMap ${t.name} ${key}:\n  istioctl: ${JSON.stringify(t.data[key])}\n  ours:     ${JSON.stringify(o?.data[key])}`,
        );
    }
  }
  return { compared, differing };
}
