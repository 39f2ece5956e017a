import {
  isJsonObject,
  type Json,
  type JsonObject,
  type K8sObject,
} from '../../src/render/object.js';

const CONTAINER_FIELDS = [
  'image',
  'imagePullPolicy',
  'command',
  'args',
  'ports',
  'readinessProbe',
  'startupProbe',
  'livenessProbe',
  'securityContext',
  'resources',
  'volumeMounts',
  'lifecycle',
  'restartPolicy',
];

function obj(v: Json | undefined): JsonObject {
  return isJsonObject(v ?? null) ? (v as JsonObject) : {};
}

function list(v: Json | undefined): Json[] {
  return Array.isArray(v) ? v : [];
}

/** The pod template of a workload (or the pod itself). */
export function podOf(o: K8sObject): JsonObject {
  const spec = obj(o.spec as Json);
  if (o.kind === 'Pod') return { metadata: o.metadata as unknown as Json, spec };
  if (o.kind === 'CronJob') return obj(obj(obj(spec.jobTemplate).spec).template);
  return obj(spec.template);
}

/**
 * Env values that hold JSON (PROXY_CONFIG, ISTIO_META_POD_PORTS, …) are
 * compared as JSON: istiod's own template and ours print the same document
 * with different whitespace.
 */
function envValue(v: Json | undefined): Json | undefined {
  if (typeof v !== 'string' || !/^\s*[[{]/.test(v)) return v;
  try {
    return JSON.parse(v) as Json;
  } catch {
    return v;
  }
}

function container(c: Json): JsonObject {
  const o = obj(c);
  const out: JsonObject = { name: o.name ?? null };
  for (const k of CONTAINER_FIELDS) if (o[k] !== undefined) out[k] = o[k];
  out.env = list(o.env).map((e) => {
    const x = { ...obj(e) };
    const parsed = envValue(x.value);
    if (parsed !== undefined) x.value = parsed;
    return x;
  });
  return out;
}

/**
 * The parts of an injected pod the injection proof compares: labels,
 * annotations (the status annotation as parsed JSON), containers and init
 * containers (order, image, command/args, env names and values, ports,
 * probes, securityContext, resources, mounts, lifecycle), volumes, the
 * pod securityContext and pull secrets.
 */
export function projectPod(o: K8sObject): JsonObject {
  const pod = podOf(o);
  const meta = obj(pod.metadata);
  const spec = obj(pod.spec);
  const annotations = { ...obj(meta.annotations) };
  const status = annotations['sidecar.istio.io/status'];
  if (typeof status === 'string')
    annotations['sidecar.istio.io/status'] = JSON.parse(status) as Json;
  return {
    labels: meta.labels ?? {},
    annotations,
    containerOrder: list(spec.containers).map((c) => obj(c).name ?? null),
    initContainerOrder: list(spec.initContainers).map((c) => obj(c).name ?? null),
    containers: list(spec.containers).map(container),
    initContainers: list(spec.initContainers).map(container),
    volumes: spec.volumes ?? [],
    securityContext: spec.securityContext ?? null,
    imagePullSecrets: spec.imagePullSecrets ?? [],
  };
}
