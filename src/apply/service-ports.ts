import type { KubernetesObject } from '@kubernetes/client-node';
import type { JsonPatchOp } from '../kube/client.js';

interface ServicePort {
  name?: string;
  port?: number;
  protocol?: string;
  nodePort?: number;
}

/** A live Service port that keeps the desired ports from being applied. */
export interface StrayPort {
  /** Its index in the live `spec.ports`. */
  index: number;
  port: number;
  protocol: string;
  name?: string;
  /** Which desired port it collides with, for the drift message. */
  insteadOf: number;
}

function portsOf(o: KubernetesObject | undefined): ServicePort[] {
  const ports = (o as { spec?: { ports?: unknown } } | undefined)?.spec?.ports;
  return Array.isArray(ports) ? (ports as ServicePort[]) : [];
}

const keyOf = (p: ServicePort) => `${p.port}/${p.protocol ?? 'TCP'}`;

/**
 * The live ports of a Service that would make applying the desired ports
 * fail. Server-side apply merges `spec.ports` by port and protocol, so a
 * port changed by hand (15010 → 15999) is another element: applying ours
 * adds 15010 next to it, both named `grpc-xds`, and the API server refuses
 * the Service (`422 spec.ports[1].name: Duplicate value`) on every apply,
 * forever. A stray port is one that is not desired (by port and protocol)
 * but carries the name, or the nodePort, of a desired one: ours, moved.
 * A port with a name of its own (a user's addition) is never stray, so the
 * repair never removes it.
 */
export function strayServicePorts(
  desired: KubernetesObject,
  live: KubernetesObject | undefined,
): StrayPort[] {
  if (desired.apiVersion !== 'v1' || desired.kind !== 'Service' || !live) return [];
  const want = portsOf(desired);
  const wanted = new Set(want.map(keyOf));
  const out: StrayPort[] = [];
  portsOf(live).forEach((p, index) => {
    if (p.port === undefined || wanted.has(keyOf(p))) return;
    const collides = want.find(
      (w) =>
        (w.name !== undefined && w.name === p.name) ||
        (w.nodePort !== undefined && w.nodePort === p.nodePort),
    );
    if (!collides) return;
    out.push({
      index,
      port: p.port,
      protocol: p.protocol ?? 'TCP',
      ...(p.name !== undefined ? { name: p.name } : {}),
      insteadOf: collides.port ?? 0,
    });
  });
  return out;
}

/**
 * A JSON patch that removes `strays` from the live Service, last index
 * first so the earlier indices stay valid. Each removal is guarded by a test
 * of the element's port and name: if the list changed since it was read,
 * the API server refuses the whole patch and nothing is removed.
 */
export function removeStrayPortsPatch(strays: readonly StrayPort[]): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  for (const s of [...strays].sort((a, b) => b.index - a.index)) {
    const at = `/spec/ports/${s.index}`;
    ops.push({ op: 'test', path: `${at}/port`, value: s.port });
    if (s.name !== undefined) ops.push({ op: 'test', path: `${at}/name`, value: s.name });
    ops.push({ op: 'remove', path: at });
  }
  return ops;
}
