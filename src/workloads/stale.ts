import { workloadOf } from './owner.js';
import { currentProxy } from './proxy.js';
import { wantedRevision } from './selection.js';
import type { InjectorView, NamespaceView, PodView, WorkloadRef } from './types.js';

/** A revision and the proxy version it injects; '' for a pod carrying no proxy. */
export interface ProxyState {
  revision: string;
  version: string;
}

/** A workload with at least one pod whose proxy is not the one its revision injects today. */
export interface StaleWorkload extends WorkloadRef {
  /** Its pods that the revision serves (running or pending). */
  pods: number;
  /** Of those, the ones with another revision's proxy, another version, or none at all. */
  stalePods: number;
  /** The distinct proxies its stale pods carry, sorted. */
  current: ProxyState[];
  wanted: ProxyState;
}

/** What one revision's injector should serve and how much of it still runs something else. */
export interface RevisionWorkloads {
  revision: string;
  version: string;
  /** Pods its injector serves (selected by namespace/pod labels and tags, not opted out). */
  pods: number;
  stalePods: number;
  /** Stale workloads, by namespace, kind and name. */
  workloads: StaleWorkload[];
}

/** Input of {@link staleWorkloads}. */
export interface WorkloadsInput {
  namespaces: NamespaceView[];
  pods: PodView[];
  injectors: InjectorView;
  /** Each revision asked about and the proxy version it injects ('' = do not judge versions). */
  wanted: ReadonlyMap<string, string>;
}

/**
 * For each revision in `input.wanted`, the pods its injector serves now and
 * the workloads among them whose pods carry another revision's proxy (a
 * canary whose tag or namespace label moved), another version (an in-place
 * upgrade) or no proxy (a namespace labelled after its pods started). Pure
 * and deterministic: the same objects give the same report in the same order.
 */
export function staleWorkloads(input: WorkloadsInput): RevisionWorkloads[] {
  const nsByName = new Map(input.namespaces.map((n) => [n.name, n]));
  const out = new Map<string, RevisionWorkloads>();
  const byWorkload = new Map<string, StaleWorkload>();
  for (const [revision, version] of [...input.wanted].sort(([a], [b]) => cmp(a, b))) {
    out.set(revision, { revision, version, pods: 0, stalePods: 0, workloads: [] });
  }
  for (const pod of input.pods) {
    if (pod.phase === 'Succeeded' || pod.phase === 'Failed') continue;
    const wanted = wantedRevision(nsByName.get(pod.namespace), pod, input.injectors);
    const report = wanted.revision === undefined ? undefined : out.get(wanted.revision);
    if (!report) continue;
    const w = workloadOf(pod);
    const key = `${report.revision}\n${w.namespace}\n${w.kind}\n${w.name}`;
    let entry = byWorkload.get(key);
    if (!entry) {
      entry = {
        ...w,
        pods: 0,
        stalePods: 0,
        current: [],
        wanted: { revision: report.revision, version: report.version },
      };
      byWorkload.set(key, entry);
    }
    report.pods++;
    entry.pods++;
    const proxy = currentProxy(pod);
    const now: ProxyState = proxy
      ? { revision: proxy.revision, version: proxy.version }
      : { revision: '', version: '' };
    if (!isStale(now, entry.wanted)) continue;
    report.stalePods++;
    entry.stalePods++;
    if (!entry.current.some((c) => c.revision === now.revision && c.version === now.version)) {
      entry.current.push(now);
    }
  }
  for (const entry of byWorkload.values()) {
    if (entry.stalePods === 0) continue;
    entry.current.sort((a, b) => cmp(a.revision, b.revision) || cmp(a.version, b.version));
    out.get(entry.wanted.revision)!.workloads.push(entry);
  }
  for (const r of out.values()) {
    r.workloads.sort(
      (a, b) => cmp(a.namespace, b.namespace) || cmp(a.kind, b.kind) || cmp(a.name, b.name),
    );
  }
  return [...out.values()];
}

/**
 * Whether a pod's proxy differs from the wanted one: another (or no)
 * revision, or another version when both versions are known.
 */
export function isStale(now: ProxyState, wanted: ProxyState): boolean {
  if (now.revision !== wanted.revision) return true;
  return wanted.version !== '' && now.version !== '' && now.version !== wanted.version;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
