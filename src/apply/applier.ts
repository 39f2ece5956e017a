import type { KubernetesObject, V1CustomResourceDefinition } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { waitFor } from '../kube/poll.js';
import { watchedKind } from './kinds.js';
import type { KubeClient } from '../kube/client.js';
import {
  describeKubeError,
  isKindNotServed,
  isNamespaceTerminating,
  isNotFound,
} from '../kube/errors.js';
import { apiGroupOf, resourceTypeOf } from '../kube/resource.js';
import type { RenderedComponent } from '../render/manifest.js';
import type { ComponentName } from '../translate/plan.js';
import { guardCrds, type CrdLookup, type KeptCrd } from './crd-guard.js';
import { applyWaves, presentDependencies } from './graph.js';
import { holdReason, holdsOn, type RolloutHold } from './holds.js';
import { keepInstallerLabels } from './installer-labels.js';
import { describeObject, identity, ownerOf, type LiveState, type Owner } from './live.js';
import { memoByObject, memoBySpec } from './memo.js';
import { crdCondition } from './readiness.js';
import { removeStrayPortsPatch, strayServicePorts } from './service-ports.js';
import { isSubset, subsetDifferences } from './subset.js';
import { DESIRED_HASH, ESTABLISH_NUDGE, LABELS } from '../api/vocabulary.js';
import { parseVersion } from '../releases/version.js';

/** Outcome of applying one component. */
export interface ComponentApplyResult {
  component: ComponentName;
  /** Objects written (created or changed). */
  applied: string[];
  /** Existing objects that differed from the desired state, with the differing paths. */
  drifted: string[];
  /** Objects already as desired (no request made). */
  unchanged: number;
  /** Set when the component could not be applied completely. */
  error?: string;
  /** Set when a dependency failed, so this component was not attempted. */
  blockedBy?: ComponentName;
  /** Set when a hold (holds.ts) kept this component back for now (not an error): why. */
  heldBack?: string;
  /**
   * Set when the component stopped because a namespace it writes to is
   * being deleted: what it waits for. Not an error (nothing to fix, no
   * Warning), and its dependents wait too.
   */
  waiting?: string;
  /**
   * Objects of kinds this cluster does not serve (an optional CRD such as
   * Multus's is absent), each with what is missing and the fix. Every other
   * object of the component was applied and its dependents go ahead; the
   * component still reports these as its error.
   */
  missingKinds?: string[];
}

/** Objects of ours that another IstioOperator already owns. */
export interface OwnershipConflict {
  object: string;
  owner: Owner;
}

/** What applying a rendered manifest did. */
export interface ApplyOutcome {
  components: ComponentApplyResult[];
  /** Non-empty means nothing was applied: two IstioOperators would own these objects. */
  conflicts: OwnershipConflict[];
  /**
   * The live state with every object written here as the API server returned
   * it: the caches lag behind, and judging readiness from them right after an
   * apply would see the previous, finished rollout.
   */
  live: LiveState;
  /** Desired CRDs left as they are because applying them would weaken the live ones (crd-guard.ts). */
  keptCrds: KeptCrd[];
}

/** What {@link applyManifest} needs. */
export interface ApplyContext {
  client: KubeClient;
  live: LiveState;
  owner: Owner;
  /** How long to wait for applied CRDs to become Established. Default 60 s. */
  crdTimeoutMs?: number;
  /**
   * Components shared between IstioOperators (Base: the CRDs are one per
   * cluster): their objects that another existing IstioOperator owns are
   * left to it instead of being a conflict.
   */
  shared?: readonly ComponentName[];
  /**
   * Hand-overs, decided before the apply: for other owners (`namespace/name`)
   * that render, the identities (live.ts `identity`) of every object each
   * renders. An object whose owner exists but no longer renders it is being
   * handed over (a revision tag or a gateway moved from one IstioOperator
   * to another) and is taken over instead of being a conflict; an owner not
   * in the map keeps what it owns. Without it, every foreign owner conflicts.
   */
  handOvers?: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * Components held back this round until a workload has rolled out
   * (upgrades: gateways wait for istiod), judged just before each one's turn
   * against the live state including what this apply has written so far.
   */
  holds?: readonly RolloutHold[];
}

/**
 * Applies the rendered components with server-side apply, in dependency
 * order (Base → Pilot → CNI and gateways → ztunnel): a component starts once
 * its dependencies' objects are applied (their CRDs aside, see
 * {@link APPLIED_EARLY}), and a failed component holds back only its
 * dependents.
 * A CRD is waited on until Established only before objects of a kind it
 * defines are applied; everything else goes at once (readiness reports
 * CRDs not yet Established, see readiness.ts). An
 * object whose live state already contains everything desired is not sent at
 * all, so a converged installation costs no writes. Before anything is
 * written, every desired object is checked for an owner other than `owner`:
 * if one exists, nothing is applied and the conflicts are returned.
 */
export async function applyManifest(
  rendered: readonly RenderedComponent[],
  ctx: ApplyContext,
): Promise<ApplyOutcome> {
  const { components, kept: keptCrds } = await withoutWeakeningCrds(rendered, ctx);
  const { conflicts, leftToOwner } = await findConflicts(components, ctx);
  if (conflicts.length > 0) return { components: [], conflicts, live: ctx.live, keptCrds };
  const written = new Map<string, KubernetesObject>();
  const live = withWritten(ctx.live, written);
  const establish = establishedBeforeUse(components, ctx);

  const byName = new Map<ComponentName, RenderedComponent[]>();
  for (const c of components) byName.set(c.component, [...(byName.get(c.component) ?? []), c]);
  const present = [...byName.keys()];
  const results = new Map<ComponentName, ComponentApplyResult>();

  // A component starts once what it depends on is applied — each dependency's
  // CRDs aside: their writes take the API server the longest, and what a
  // dependent needs of them (Established) readiness waits for.
  const gates = new Map<ComponentName, Promise<void>>();
  const done: Promise<void>[] = [];
  for (const wave of applyWaves(present)) {
    for (const name of wave) {
      const deps = presentDependencies(name, present);
      let open!: () => void;
      gates.set(name, new Promise<void>((r) => (open = r)));
      done.push(
        (async () => {
          await Promise.all(deps.map((d) => gates.get(d)));
          results.set(name, await startComponent(name, deps, open));
          open();
        })(),
      );
    }
  }
  await Promise.all(done);

  /** Applies one component whose dependencies are through; `prerequisitesDone` opens its dependents' way. */
  async function startComponent(
    name: ComponentName,
    deps: readonly ComponentName[],
    prerequisitesDone: () => void,
  ): Promise<ComponentApplyResult> {
    const failedDep = deps.find((d) => results.get(d)?.error || results.get(d)?.blockedBy);
    const waitingDep = deps.find((d) => results.get(d)?.waiting);
    if (!failedDep && waitingDep) {
      return {
        component: name,
        applied: [],
        drifted: [],
        unchanged: 0,
        heldBack: `${waitingDep}, which waits for ${results.get(waitingDep)!.waiting!}`,
      };
    }
    if (failedDep) {
      return { component: name, applied: [], drifted: [], unchanged: 0, blockedBy: failedDep };
    }
    const objects = byName
      .get(name)!
      .flatMap((c) => c.objects)
      .filter((o) => !leftToOwner.has(identity(o))) as KubernetesObject[];
    const heldBack = holdsOn(ctx.holds, name)
      .map((h) => holdReason(h, live))
      .find((r) => r !== undefined);
    if (heldBack) return { component: name, applied: [], drifted: [], unchanged: 0, heldBack };
    return await applyComponent(name, objects, ctx, written, establish, prerequisitesDone);
  }
  return { components: present.map((n) => results.get(n)!), conflicts: [], live, keptCrds };
}

/**
 * The components without the CRDs that would weaken live ones (newer or
 * richer; see crd-guard.ts). CRDs another installer wrote are not in the
 * caches (they lack the managed label), so those are read from the API
 * server.
 */
async function withoutWeakeningCrds(
  components: readonly RenderedComponent[],
  ctx: ApplyContext,
): Promise<{ components: RenderedComponent[]; kept: KeptCrd[] }> {
  const lookup: CrdLookup = async (name) => {
    const ref = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };
    const cached = ctx.live.get(ref.apiVersion, ref.kind, undefined, name);
    if (cached) return cached;
    try {
      return await ctx.client.get({ ...ref, metadata: { name } });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  const kept: KeptCrd[] = [];
  const out: RenderedComponent[] = [];
  for (const c of components) {
    if (!c.objects.some((o) => o.kind === 'CustomResourceDefinition')) {
      out.push(c);
      continue;
    }
    const r = await guardCrds(c.objects, lookup);
    kept.push(...r.kept);
    out.push({ ...c, objects: r.apply });
  }
  return { components: out, kept };
}

/** `live`, except that objects in `written` (by identity) are seen as written. */
function withWritten(live: LiveState, written: ReadonlyMap<string, KubernetesObject>): LiveState {
  return {
    get: (apiVersion, kind, namespace, name) =>
      written.get(identity({ apiVersion, kind, metadata: { namespace, name } })) ??
      live.get(apiVersion, kind, namespace, name),
    ownedBy: (owner) => live.ownedBy(owner),
    ownerExists: (owner) => live.ownerExists(owner),
  };
}

async function findConflicts(
  components: readonly RenderedComponent[],
  ctx: ApplyContext,
): Promise<{ conflicts: OwnershipConflict[]; leftToOwner: Set<string> }> {
  const out: OwnershipConflict[] = [];
  const leftToOwner = new Set<string>();
  // Asked once per owner: the answer may cost a GET, and a shared Base owned
  // by another IstioOperator names the same owner on every CRD.
  const exists = new Map<string, Promise<boolean>>();
  const ownerExists = (o: Owner) => {
    const key = `${o.namespace}/${o.name}`;
    let p = exists.get(key);
    if (!p) exists.set(key, (p = ctx.live.ownerExists(o)));
    return p;
  };
  for (const c of components) {
    for (const o of c.objects) {
      const live = ctx.live.get(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name);
      const owner = live && ownerOf(live);
      const other =
        owner && (owner.name !== ctx.owner.name || owner.namespace !== ctx.owner.namespace);
      // An owner that no longer exists (its CRDs were kept at uninstall) does not block adoption.
      if (owner && other && (await ownerExists(owner))) {
        // A shared CRD is the newest Istio line's in use: a canary of a newer
        // line takes it over (and the crd-guard keeps the older line's
        // IstioOperator from moving it back).
        if (ctx.shared?.includes(c.component) && newerLineCrd(o, live)) continue;
        if (ctx.shared?.includes(c.component)) leftToOwner.add(identity(o));
        else if (!handedOver(ctx.handOvers, owner, o as KubernetesObject))
          out.push({ object: describeObject(o), owner });
      }
    }
  }
  return { conflicts: out, leftToOwner };
}

/** Whether `owner` exists in `handOvers` and no longer renders `o`. */
function handedOver(
  handOvers: ApplyContext['handOvers'],
  owner: Owner,
  o: KubernetesObject,
): boolean {
  const theirs = handOvers?.get(`${owner.namespace}/${owner.name}`);
  return theirs !== undefined && !theirs.has(identity(o));
}

/** Whether `desired` is a CRD of a newer Istio line (minor version) than the live one says it is. */
function newerLineCrd(desired: KubernetesObject, live: KubernetesObject): boolean {
  if (desired.kind !== 'CustomResourceDefinition') return false;
  const line = (o: KubernetesObject) => {
    const v = parseVersion(o.metadata?.labels?.[LABELS.version] ?? '');
    return v ? v.major * 1000 + v.minor : undefined;
  };
  const [mine, theirs] = [line(desired), line(live)];
  return mine !== undefined && theirs !== undefined && mine > theirs;
}

/**
 * When an object of a kind is applied within its component: what it
 * refers to goes first. Bindings after the roles they bind (granting a
 * role the API server cannot read yet is refused to a client without the
 * `bind` verb); workloads after their ServiceAccounts, ConfigMaps and RBAC
 * (a ReplicaSet creates no pod without its ServiceAccount, and backs off);
 * webhooks last, after the workloads that answer them; a policy binding
 * after its policy. Kinds not named here (ServiceAccounts, ConfigMaps,
 * roles, Services, CRDs…) have no order among themselves.
 */
const APPLY_STAGE: Readonly<Record<string, number>> = {
  RoleBinding: 1,
  ClusterRoleBinding: 1,
  Deployment: 2,
  DaemonSet: 2,
  StatefulSet: 2,
  HorizontalPodAutoscaler: 2,
  MutatingWebhookConfiguration: 3,
  ValidatingWebhookConfiguration: 3,
  ValidatingAdmissionPolicy: 3,
  ValidatingAdmissionPolicyBinding: 4,
};

/**
 * Kinds that go at once, with a component's first stage, because nothing
 * before the stage named here refers to them — and whose writes are the
 * slow ones: a CRD (up to 300 kB with its schema; no object refers to a
 * CRD, and one of its kind waits for it, see establishedBeforeUse) and a
 * Service (the API server allocates its IPs and ports; only the webhooks
 * call it). Waiting for them in the first stage held an install's
 * workloads back by half a second.
 */
const APPLIED_EARLY: Readonly<Record<string, number>> = {
  CustomResourceDefinition: Infinity,
  Service: APPLY_STAGE.MutatingWebhookConfiguration!,
};

/** The order of a component's writes: see {@link componentSteps}. */
export interface ComponentSteps {
  /** One after another, in order; a stage's objects in parallel. `stage` is its {@link APPLY_STAGE}. */
  stages: { stage: number; objects: KubernetesObject[] }[];
  /** Started with the first stage; waited for before the first stage numbered `before` or more, else at the end. */
  early: { before: number; objects: KubernetesObject[] }[];
}

/**
 * The component's objects in stages (see {@link APPLY_STAGE}), each stage
 * in the render's order, and those {@link APPLIED_EARLY} beside them. Helm
 * installs by kind the same way; one request per kind after another cost a
 * demo install about 0.5 s of round trips.
 */
export function componentSteps(objects: readonly KubernetesObject[]): ComponentSteps {
  const stages = new Map<number, KubernetesObject[]>();
  const early = new Map<number, KubernetesObject[]>();
  for (const o of objects) {
    const kind = o.kind ?? '';
    const before = APPLIED_EARLY[kind];
    if (before !== undefined) getOrAdd(early, before).push(o);
    else getOrAdd(stages, APPLY_STAGE[kind] ?? 0).push(o);
  }
  const sorted = <T>(m: Map<number, T>) => [...m].sort((a, b) => a[0] - b[0]);
  return {
    stages: sorted(stages).map(([stage, objects]) => ({ stage, objects })),
    early: sorted(early).map(([before, objects]) => ({ before, objects })),
  };
}

function getOrAdd<K, V>(m: Map<K, V[]>, k: K): V[] {
  let v = m.get(k);
  if (!v) m.set(k, (v = []));
  return v;
}

async function applyComponent(
  component: ComponentName,
  objects: readonly KubernetesObject[],
  ctx: ApplyContext,
  written: Map<string, KubernetesObject>,
  establish: (o: KubernetesObject) => Promise<void>,
  prerequisitesDone: () => void = () => undefined,
): Promise<ComponentApplyResult> {
  const result: ComponentApplyResult = { component, applied: [], drifted: [], unchanged: 0 };
  const applyOne = async (desired: KubernetesObject): Promise<void> => {
    // Only an object of a kind a desired CRD defines waits, and only for that CRD.
    await establish(desired);
    const live = ctx.live.get(
      desired.apiVersion!,
      desired.kind!,
      desired.metadata?.namespace,
      desired.metadata!.name!,
    );
    const stamped = stampedOf(desired);
    const sameDesire =
      live?.metadata?.annotations?.[DESIRED_HASH] === stamped.metadata?.annotations?.[DESIRED_HASH];
    if (live && sameDesire && asDesired(stamped, live)) {
      result.unchanged++;
      if (desired.kind === 'CustomResourceDefinition') await nudgeIfStuck(live, ctx);
      return;
    }
    const body = requestBody(stamped, live);
    const strays = strayServicePorts(desired, live);
    if (live) {
      const diff = subsetDifferences(body, live).filter(
        (p) => p !== `metadata.annotations.${DESIRED_HASH}`,
      );
      const moved = strays.map((p) => `spec.ports: ${p.port} instead of ${p.insteadOf}`);
      result.drifted.push(
        `${describeObject(desired)} (${moved.length ? moved.join(', ') : diff.length ? diff.join(', ') : 'fields no longer desired'})`,
      );
    }
    try {
      // A port changed by hand is another element to server-side apply
      // (ports merge by port and protocol) and would collide with ours:
      // take it out first, or the apply is refused every time.
      if (strays.length > 0) {
        await ctx.client.jsonPatch(
          {
            apiVersion: desired.apiVersion!,
            kind: desired.kind!,
            metadata: {
              name: desired.metadata!.name!,
              namespace: desired.metadata!.namespace!,
            },
          },
          removeStrayPortsPatch(strays),
        );
      }
      written.set(identity(desired), await ctx.client.apply(body));
    } catch (err) {
      if (isKindNotServed(err)) {
        (result.missingKinds ??= []).push(describeMissingKind(desired));
        return;
      }
      if (isNamespaceTerminating(err)) {
        throw new NamespaceTerminating(desired.metadata!.namespace!);
      }
      throw new Error(`apply ${describeObject(desired)}: ${describeKubeError(err)}`);
    }
    result.applied.push(describeObject(desired));
  };
  const steps = componentSteps(objects);
  const early = steps.early.map((e) => ({
    before: e.before,
    done: Promise.allSettled(e.objects.map(applyOne)),
  }));
  /** Throws the first failure of the early writes a stage numbered `stage` waits for. */
  const earlyBefore = async (stage: number) => {
    for (const e of early) {
      if (e.before > stage) continue;
      const failed = (await e.done).find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
  };
  try {
    for (const { stage, objects: now } of steps.stages) {
      await earlyBefore(stage);
      await Promise.all(now.map(applyOne));
    }
    prerequisitesDone();
    await earlyBefore(Infinity);
  } catch (err) {
    await Promise.all(early.map((e) => e.done));
    if (err instanceof NamespaceTerminating) {
      result.waiting = `namespace ${err.namespace} to finish terminating (it is being deleted)`;
    } else result.error = (err as Error).message;
  }
  return result;
}

/** An apply refused because the object's namespace is being deleted. */
class NamespaceTerminating extends Error {
  constructor(readonly namespace: string) {
    super(`namespace ${namespace} is being terminated`);
  }
}

/** What is missing when the cluster does not serve `o`'s kind, and the way out. */
function describeMissingKind(o: KubernetesObject): string {
  const apiVersion = o.apiVersion ?? '';
  const group = apiGroupOf(apiVersion);
  const plural = resourceTypeOf(apiVersion, o.kind ?? '')?.plural;
  const crd = group.includes('.') && plural ? ` (its CRD ${plural}.${group} is not installed)` : '';
  const hint = watchedKind(apiVersion, o.kind ?? '')?.whenMissing;
  return (
    `${describeObject(o)}: this cluster does not serve ${apiVersion} ${o.kind}${crd}` +
    `${hint ? `; ${hint}` : ''}; every other object was applied`
  );
}

/** {@link withDesiredHash} once per desired object: hashing every CRD on every reconcile cost more than the rest of a no-op apply. */
const stampedOf = memoByObject(withDesiredHash);

/**
 * Whether the live object already holds everything the request for
 * `stamped` would send. The request holds no status, so a status update of
 * the live object keeps the answer.
 */
const asDesired = memoBySpec((stamped: KubernetesObject, live: KubernetesObject) =>
  isSubset(requestBody(stamped, live), live),
);

export function withDesiredHash(desired: KubernetesObject): KubernetesObject {
  const digest = createHash('sha256').update(JSON.stringify(desired)).digest('hex').slice(0, 16);
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      annotations: { ...desired.metadata?.annotations, [DESIRED_HASH]: digest },
    },
  };
}

/**
 * What the operator sends for `stamped` (a desired object with its digest)
 * given the live object: the fields others own after creation keep their
 * live values ({@link keepCreateOnly}), and installer bookkeeping labels on
 * a live pod template stay ({@link keepInstallerLabels}). `diff` previews
 * this same body.
 */
export function requestBody(
  stamped: KubernetesObject,
  live: KubernetesObject | undefined,
): KubernetesObject {
  return live ? keepInstallerLabels(keepCreateOnly(stamped, live), live) : stamped;
}

/**
 * For fields another controller owns after creation (istiod's webhook
 * caBundle and failurePolicy), sends the live value instead of ours, so an
 * apply never reverts them and never drops them either.
 */
export function keepCreateOnly(
  desired: KubernetesObject,
  live: KubernetesObject,
): KubernetesObject {
  const paths = watchedKind(desired.apiVersion!, desired.kind!)?.createOnly;
  if (!paths) return desired;
  const out = structuredClone(desired) as unknown;
  for (const p of paths) copyPath(out, live, p);
  return out as KubernetesObject;
}

type Rec = Record<string, unknown>;

function copyPath(target: unknown, source: unknown, path: string[]): void {
  if (path.length === 0 || typeof target !== 'object' || target === null) return;
  if (typeof source !== 'object' || source === null) return;
  const [head, ...rest] = path as [string, ...string[]];
  if (head === '*') {
    if (!Array.isArray(target) || !Array.isArray(source)) return;
    // List elements are matched by name (webhooks have names), else by index.
    target.forEach((t: unknown, i) => {
      const name = (t as Rec | null)?.name;
      const s =
        name !== undefined
          ? source.find((x: unknown) => (x as Rec | null)?.name === name)
          : source[i];
      copyPath(t, s, rest);
    });
    return;
  }
  const t = target as Rec;
  const s = source as Rec;
  if (rest.length === 0) {
    if (s[head] !== undefined) t[head] = s[head];
    return;
  }
  copyPath(t[head], s[head], rest);
}

/** How long a CRD may sit NamesAccepted-but-not-Established before it is nudged. */
const NUDGE_AFTER_MS = 5000;

/**
 * What an apply awaits before an object: for an object of a kind one
 * of the desired CRDs defines, that CRD Established (the API server refuses
 * them until then); for every other kind nothing. Each CRD is waited for
 * once per apply, whichever component asks first.
 */
function establishedBeforeUse(
  components: readonly RenderedComponent[],
  ctx: ApplyContext,
): (o: KubernetesObject) => Promise<void> {
  const definedBy = new Map<string, KubernetesObject>();
  for (const c of components) {
    for (const o of c.objects) {
      if (o.kind !== 'CustomResourceDefinition') continue;
      const spec = (o as unknown as V1CustomResourceDefinition).spec;
      if (spec?.group && spec.names?.kind)
        definedBy.set(`${spec.group}/${spec.names.kind}`, o as KubernetesObject);
    }
  }
  const waits = new Map<string, Promise<void>>();
  return async (o) => {
    const crd = definedBy.get(`${apiGroupOf(o.apiVersion ?? '')}/${o.kind ?? ''}`);
    if (!crd) return;
    const name = crd.metadata!.name!;
    let wait = waits.get(name);
    if (!wait) waits.set(name, (wait = waitEstablished(crd, ctx)));
    await wait;
  };
}

/**
 * The API server establishes a CRD when it sees the CRD change; one
 * created just before the server stopped can stay NamesAccepted and never
 * become Established after the restart. Any update wakes it: a CRD that has
 * sat so for {@link NUDGE_AFTER_MS} gets an annotation. Asked on every
 * apply that finds the CRD as desired, so a later reconcile (readiness
 * waits for Established and requeues) repairs it.
 */
async function nudgeIfStuck(live: KubernetesObject, ctx: ApplyContext): Promise<void> {
  if (crdCondition(live, 'Established') || !crdCondition(live, 'NamesAccepted')) return;
  const accepted = (live as V1CustomResourceDefinition).status?.conditions?.find(
    (c) => c.type === 'NamesAccepted',
  )?.lastTransitionTime;
  const since = accepted ? new Date(accepted).getTime() : Number.NaN;
  if (Date.now() - since > NUDGE_AFTER_MS) await nudge(live, ctx);
}

/** Any update makes the API server look at a CRD again: an annotation of ours with the time. */
async function nudge(crd: KubernetesObject, ctx: ApplyContext): Promise<void> {
  await ctx.client.mergePatch({
    apiVersion: crd.apiVersion!,
    kind: crd.kind!,
    metadata: {
      name: crd.metadata!.name!,
      annotations: { [ESTABLISH_NUDGE]: new Date().toISOString() },
    },
  });
}

/** Waits until `crd` is Established (nudging it once when it sits NamesAccepted), as read from the API server. */
async function waitEstablished(crd: KubernetesObject, ctx: ApplyContext): Promise<void> {
  const name = crd.metadata!.name!;
  const cached = ctx.live.get(crd.apiVersion!, crd.kind!, undefined, name);
  if (crdCondition(cached, 'Established')) return;
  const started = Date.now();
  let nudged = false;
  await waitFor(
    `CRD ${name} Established`,
    async () => {
      let live: V1CustomResourceDefinition;
      try {
        live = await ctx.client.get<V1CustomResourceDefinition>({
          apiVersion: crd.apiVersion!,
          kind: crd.kind!,
          metadata: { name },
        });
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
      if (crdCondition(live, 'Established')) return true;
      if (!nudged && crdCondition(live, 'NamesAccepted') && Date.now() - started > NUDGE_AFTER_MS) {
        nudged = true;
        await nudge(live, ctx);
      }
      return false;
    },
    ctx.crdTimeoutMs ?? 60_000,
    undefined,
    100,
  );
}
