import yaml from 'js-yaml';
import { diffJson, type FieldChange } from '../../src/render/diff.js';
import {
  isJsonObject,
  type Json,
  type JsonObject,
  type K8sObject,
} from '../../src/render/object.js';
import { ALLOW_LIST, type Allowance } from './allow-list.js';

/** `apiVersion kind namespace/name`: the identity both renders must agree on. */
export function identity(o: K8sObject): string {
  return `${o.apiVersion} ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function obj(v: Json | undefined): JsonObject {
  return isJsonObject(v ?? null) ? (v as JsonObject) : {};
}

function list(v: Json | undefined): Json[] {
  return Array.isArray(v) ? v : [];
}

function pick(o: JsonObject, keys: string[]): JsonObject {
  const out: JsonObject = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** Ports as the API server stores them: `protocol` defaults to TCP. */
function ports(v: Json | undefined): Json[] {
  return list(v).map((p) => ({ protocol: 'TCP', ...obj(p) }));
}

/** The parts of a container the suite compares: image, ports, env (by name), resources. */
function container(c: Json): JsonObject {
  const o = obj(c);
  return { ...pick(o, ['name', 'image', 'env', 'resources']), ports: ports(o.ports) };
}

/** A spec as the API server stores it: explicit nulls are the same as absent fields. */
function dropNulls(o: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === null) continue;
    out[k] = isJsonObject(v) ? dropNulls(v) : v;
  }
  return out;
}

function parseYaml(text: Json | undefined): Json {
  return typeof text === 'string' ? ((yaml.load(text) ?? null) as Json) : null;
}

/**
 * The fields of one object that conformance compares, as a plain tree:
 * labels, then per kind the workload's images, replicas, ports, env,
 * resources and selectors; Service type, ports, selector; webhook rules,
 * selectors and clientConfig; RBAC rules and bindings; mesh config (parsed);
 * PDB and HPA specs; CRD versions.
 */
export function project(o: K8sObject): JsonObject {
  const p: JsonObject = { labels: (o.metadata.labels ?? {}) as JsonObject };
  const spec = obj(o.spec as Json);
  switch (o.kind) {
    case 'Deployment':
    case 'DaemonSet': {
      const tmpl = obj(spec.template);
      const podSpec = obj(tmpl.spec);
      p.replicas = spec.replicas ?? null;
      p.selector = spec.selector ?? null;
      p.templateLabels = obj(tmpl.metadata).labels ?? {};
      p.containers = list(podSpec.containers).map(container);
      p.initContainers = list(podSpec.initContainers).map(container);
      p.serviceAccountName = podSpec.serviceAccountName ?? null;
      break;
    }
    case 'Service':
      p.type = spec.type ?? 'ClusterIP';
      p.ports = ports(spec.ports);
      p.selector = spec.selector ?? {};
      break;
    case 'MutatingWebhookConfiguration':
    case 'ValidatingWebhookConfiguration':
      p.webhooks = list(o.webhooks as Json).map((w) =>
        pick(obj(w), [
          'name',
          'rules',
          'namespaceSelector',
          'objectSelector',
          'clientConfig',
          'failurePolicy',
          'sideEffects',
          'admissionReviewVersions',
          'reinvocationPolicy',
        ]),
      );
      break;
    case 'ClusterRole':
    case 'Role':
      p.rules = (o.rules as Json) ?? [];
      break;
    case 'ClusterRoleBinding':
    case 'RoleBinding':
      p.roleRef = (o.roleRef as Json) ?? null;
      p.subjects = (o.subjects as Json) ?? [];
      break;
    case 'ConfigMap': {
      const data = obj(o.data as Json);
      if ('mesh' in data) {
        p.mesh = parseYaml(data.mesh);
        p.meshNetworks = parseYaml(data.meshNetworks);
      }
      if ('config' in data && 'values' in data) {
        const config = obj(parseYaml(data.config));
        p.injectorPolicy = config.policy ?? null;
        p.injectorTemplates = Object.keys(obj(config.templates)).sort();
        p.injectorValues = parseYaml(data.values);
      }
      if (!('mesh' in data) && !('config' in data)) p.dataKeys = Object.keys(data).sort();
      break;
    }
    case 'PodDisruptionBudget':
    case 'HorizontalPodAutoscaler':
    case 'ResourceQuota':
      p.spec = dropNulls(spec);
      break;
    case 'CustomResourceDefinition':
      p.group = spec.group ?? null;
      p.scope = spec.scope ?? null;
      p.names = spec.names ?? null;
      p.versions = list(spec.versions).map((v) => pick(obj(v), ['name', 'served', 'storage']));
      break;
    case 'ServiceAccount':
      p.imagePullSecrets = (o.imagePullSecrets as Json) ?? [];
      break;
  }
  return p;
}

/** One difference between the oracle and our render. */
export interface Difference {
  object: string;
  kind: string;
  name: string;
  path: string;
  oracle?: Json;
  ours?: Json;
}

/** The outcome of comparing one input. */
export interface Comparison {
  /** Differences no allow-list entry explains: the test fails on any. */
  unexplained: Difference[];
  /** Differences explained, with the allow-list entry that explains each. */
  allowed: { diff: Difference; by: Allowance }[];
}

function matches(a: Allowance, d: Difference): boolean {
  if (a.kind && !a.kind.test(d.kind)) return false;
  if (a.name && !a.name.test(d.name)) return false;
  if (!a.path.test(d.path)) return false;
  if (a.side === 'oracle-only' && (d.oracle === undefined || d.ours !== undefined)) return false;
  if (a.side === 'ours-only' && (d.ours === undefined || d.oracle !== undefined)) return false;
  return a.accepts ? a.accepts(d) : true;
}

/**
 * Compares the oracle's objects with ours: the same identities, then the
 * projected fields of each pair. Every difference is either explained by
 * exactly the first matching allow-list entry or reported as unexplained.
 */
export function compare(oracle: K8sObject[], ours: K8sObject[]): Comparison {
  return explain('manifest', diffObjects(oracle, ours, project));
}

/** Ids of allow-list entries that explained at least one difference in this process. */
export const USED_ALLOWANCES = new Set<string>();

/** Splits differences into those an allow-list entry of `suite` explains and the rest. */
export function explain(suite: Allowance['suite'], diffs: Difference[]): Comparison {
  const result: Comparison = { unexplained: [], allowed: [] };
  for (const d of diffs) {
    const by = ALLOW_LIST.find((al) => al.suite === suite && matches(al, d));
    if (by) {
      USED_ALLOWANCES.add(by.id);
      result.allowed.push({ diff: d, by });
    } else result.unexplained.push(d);
  }
  return result;
}

/** Differences between two object sets: identities first, then the projected fields of each pair. */
export function diffObjects(
  oracle: K8sObject[],
  ours: K8sObject[],
  projection: (o: K8sObject) => JsonObject,
): Difference[] {
  const a = new Map(oracle.map((o) => [identity(o), o]));
  const b = new Map(ours.map((o) => [identity(o), o]));
  const diffs: Difference[] = [];
  for (const [id, o] of a) {
    if (!b.has(id))
      diffs.push({ object: id, kind: o.kind, name: o.metadata.name, path: '(object)', oracle: id });
  }
  for (const [id, o] of b) {
    if (!a.has(id))
      diffs.push({ object: id, kind: o.kind, name: o.metadata.name, path: '(object)', ours: id });
  }
  for (const [id, o] of a) {
    const mine = b.get(id);
    if (!mine) continue;
    for (const f of diffJson(projection(o), projection(mine)) as FieldChange[]) {
      diffs.push({
        object: id,
        kind: o.kind,
        name: o.metadata.name,
        path: f.path,
        ...(f.before !== undefined ? { oracle: f.before } : {}),
        ...(f.after !== undefined ? { ours: f.after } : {}),
      });
    }
  }
  return diffs;
}

/** One line per difference, for failure messages. */
export function formatDifferences(diffs: Difference[]): string {
  const show = (v: Json | undefined) => (v === undefined ? '<absent>' : JSON.stringify(v));
  return diffs
    .map((d) => `  ${d.object} ${d.path}: istioctl ${show(d.oracle)} / ours ${show(d.ours)}`)
    .join('\n');
}
