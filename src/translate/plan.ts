import { DEFAULT_HUB } from '../version.js';
import { revisionOf } from '../api/vocabulary.js';
import type { IstioRelease } from '../releases/catalog.js';
import { has } from '../releases/changes.js';
import { chartProfileValues, platformValues } from './chart-profiles.js';
import { defaultValues } from './defaults.js';
import type { ComponentSpec, GatewayComponentSpec, KubernetesResourcesSpec } from '../api/types.js';
import type { MergedIstioOperator } from '../profiles/merged.js';
import { getObject, getPath, getString } from '../json/values.js';
import { cniSettings, type CniSettings } from './components/cni.js';
import { proxySettings, type ProxySettings } from './components/proxy.js';
import { ztunnelSettings, type ZtunnelSettings } from './components/ztunnel.js';
import { pilotSettings, type PilotSettings } from './components/pilot.js';
import { gatewaySettings, type GatewaySettings } from './components/gateway.js';
import {
  baseSettings,
  webhookSettings,
  type BaseSettings,
  type WebhookSettings,
} from './components/webhooks.js';
import { gatewayAffinity } from './components/gateway-affinity.js';
import { componentImage, componentPullPolicy } from './images.js';
import { compatibilityValues } from './compatibility.js';
import { istiodCaAddress } from './names.js';
import { versionOfTag } from '../releases/version.js';
import { mergeJson } from '../json/merge.js';
import { isJsonObject, toJson, type JsonObject } from '../json/value.js';

/** Internal component names, as Istio writes them in `operator.istio.io/component`. */
export type ComponentName =
  'Base' | 'Pilot' | 'Cni' | 'Ztunnel' | 'IngressGateways' | 'EgressGateways';

/** One enabled component, resolved. */
export interface ComponentPlan {
  component: ComponentName;
  namespace: string;
  /** Image registry root for this component (component hub, else global). */
  hub: string;
  /** Image tag for this component (component tag, else global). */
  tag: string;
  /** The container image it runs (hub, image name, tag, variant resolved; '' for Base). */
  image: string;
  /** Its image pull policy ('' when Kubernetes decides). */
  pullPolicy: string;
  /** The Istio release that tag runs (`1.27.9` of `1.27.9-distroless`; the tag when it names none). */
  version: string;
  k8s: KubernetesResourcesSpec;
}

/** One enabled ingress or egress gateway, resolved. */
export interface GatewayPlan extends ComponentPlan {
  component: 'IngressGateways' | 'EgressGateways';
  name: string;
  /** The gateway's chart values (defaults < profile < user values < component fields). */
  values: JsonObject;
  /** The pod's affinity as the gateway charts build it (undefined: none). */
  affinity?: JsonObject;
  /** What render/gateway.ts reads, resolved from `values`. */
  settings: GatewaySettings;
}

/** Everything the renderers need, computed once from the merged IstioOperator. */
export interface RenderPlan {
  /** Control plane revision; '' for the default revision. */
  revision: string;
  /** The install namespace (istiod's). */
  istioNamespace: string;
  /** The owning IstioOperator (labels `install.operator.istio.io/owning-resource[-namespace]`). */
  owner: { name: string; namespace: string };
  /**
   * The Istio version being installed, from the global image tag
   * (`1.27.9-distroless` → `1.27.9`); components with a tag of their own are
   * labelled with theirs (see ownershipLabels).
   */
  version: string;
  /**
   * The Istio release line whose objects, templates and CRDs to render
   * (api/release.ts: from the tags, or the istio-version annotation).
   */
  release: IstioRelease;
  /** The merged values tree (defaults < chart profile < translated spec < user values). */
  values: JsonObject;
  /**
   * The `cni` block as istiod's chart sees it, which the injector ConfigMap
   * publishes as `values.pilot.cni`: `enabled`/`provider`, under them the
   * chart profile's and platform's `cni` blocks and the user's own
   * `values.cni` (all charts share one profile file), then `pilot.cni`.
   */
  injectorCni: JsonObject;
  /**
   * Whether the reader identity (istio-reader ClusterRole/Binding and
   * ServiceAccount) is rendered: always before 1.30, then unless
   * values.global.enableReaderRBAC is false.
   */
  readerRbac: boolean;
  /**
   * The ServiceAccount the reader ClusterRole is bound to when it is the
   * user's own (1.31+, values.global.readerServiceAccount): then no
   * istio-reader-service-account is created. Undefined: ours.
   */
  readerServiceAccount?: { name: string; namespace: string };
  /**
   * `values.global.networkPolicy.enabled`, as far as the line renders
   * NetworkPolicies: istiod's and the gateways' from 1.28 (the node agents'
   * are in their settings, from 1.29).
   */
  networkPolicy: boolean;
  /** Mesh-wide settings of the proxies the operator renders itself (gateways). */
  proxy: ProxySettings;
  /** What the webhook configurations (Pilot's and Base's) need. */
  webhooks: WebhookSettings;
  /** `values.global.imagePullSecrets`: Secret names for the pods and ServiceAccounts we render. */
  pullSecrets: string[];
  base?: ComponentPlan & { settings: BaseSettings };
  pilot?: ComponentPlan & { settings: PilotSettings };
  cni?: ComponentPlan & { settings: CniSettings };
  ztunnel?: ComponentPlan & { settings: ZtunnelSettings };
  gateways: GatewayPlan[];
}

/** An input the renderer cannot honour; the message names the field and the fix. */
export class RenderInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderInputError';
  }
}

function toObject(v: unknown): JsonObject {
  const j = toJson(v);
  return isJsonObject(j) ? j : {};
}

/** Whether a component map enables it: present and not `enabled: false`. */
function on(c: ComponentSpec | undefined, dflt: boolean): boolean {
  if (c === undefined || c === null) return dflt;
  return c.enabled !== false;
}

/**
 * Translates a merged IstioOperator into a render plan, the way Istio 1.27
 * maps an IstioOperator to component values: spec hub/tag/revision and
 * meshConfig into values, the chart profile under the merged values, and
 * each enabled component with its namespace, images and k8s settings. The
 * release is the one profiles/ chose (MergedIstioOperator); nothing here
 * chooses it again.
 * Pure: same input, same plan.
 */
export function translate(merged: MergedIstioOperator): RenderPlan {
  return plan(merged);
}

function plan({ iop, release }: MergedIstioOperator): RenderPlan {
  const spec = iop.spec;
  const comps = spec.components ?? {};
  // The merged values: the profile's, with the user's over them.
  const specValues = toObject(spec.values);
  const profileName = getString(specValues, 'profile');
  const profile = chartProfileValues(profileName);
  if (profile === undefined) {
    throw new RenderInputError(
      `spec.values.profile: unknown chart profile "${profileName}" ` +
        '(use one of default, demo, minimal, empty, preview, stable, ambient, remote, openshift)',
    );
  }
  const hub = spec.hub ?? DEFAULT_HUB;
  const tag = spec.tag === undefined ? release.patch : String(spec.tag);
  const revision = revisionOf({ spec });
  const cniOn = on(comps.cni, false);

  const fromSpec: JsonObject = {
    global: { hub, tag },
    revision,
    meshConfig: toObject(spec.meshConfig),
    pilot: {
      ...(comps.pilot?.hub ? { hub: comps.pilot.hub } : {}),
      ...(comps.pilot?.tag !== undefined ? { tag: String(comps.pilot.tag) } : {}),
      ...(cniOn ? { cni: { enabled: true } } : {}),
    },
  };
  if (comps.cni?.hub || comps.cni?.tag !== undefined) {
    fromSpec.cni = {
      ...(comps.cni.hub ? { hub: comps.cni.hub } : {}),
      ...(comps.cni.tag !== undefined ? { tag: String(comps.cni.tag) } : {}),
    };
  }
  if (comps.ztunnel?.hub || comps.ztunnel?.tag !== undefined) {
    fromSpec.ztunnel = {
      ...(comps.ztunnel.hub ? { hub: comps.ztunnel.hub } : {}),
      ...(comps.ztunnel.tag !== undefined ? { tag: String(comps.ztunnel.tag) } : {}),
    };
  }
  // compatibilityVersion pins an older release's behaviour, over the chart profile.
  const compat = compatibilityValues(
    release,
    String(spec.compatibilityVersion ?? getString(specValues, 'compatibilityVersion') ?? ''),
  );
  let values = mergeJson(mergeJson(defaultValues(release), profile), compat.values);
  const platform = getString(specValues, 'global.platform');
  values = mergeJson(values, platformValues(platform, release));
  values = mergeJson(values, fromSpec);
  // spec.values (the profile's, the user's over them) win over what was translated from the spec, as in istioctl.
  values = mergeJson(values, specValues);
  values = mergeJson(values, toObject(spec.unvalidatedValues));
  // meshConfig given in spec wins over values.meshConfig (it is the documented place).
  if (spec.meshConfig) {
    values.meshConfig = mergeJson(getObject(values, 'meshConfig'), toObject(spec.meshConfig));
  }

  // Istio 1.28 and 1.31 on copy the k8s replica settings into the chart
  // values, where they also decide whether a PodDisruptionBudget is rendered.
  if (has(release, 'k8sReplicasIntoValues') && comps.pilot?.k8s) {
    values.pilot = { ...getObject(values, 'pilot'), ...replicaValues(comps.pilot.k8s) };
  }
  // From 1.31 the k8s CPU requests and limits reach the chart values too
  // (ztunnel's CPU env vars depend on them); gateways in gatewayPlan.
  if (has(release, 'k8sCpuIntoValues')) {
    for (const [key, comp] of [
      ['pilot', comps.pilot],
      ['cni', comps.cni],
      ['ztunnel', comps.ztunnel],
    ] as const) {
      if (comp?.k8s?.resources === undefined) continue;
      values[key] = withCpuValues(getObject(values, key), comp.k8s);
    }
  }

  const istioNamespace =
    getString(values, 'global.istioNamespace') ||
    iop.metadata.namespace ||
    spec.namespace ||
    'istio-system';
  const globalHub = getString(values, 'global.hub') || hub;
  const globalTag = getString(values, 'global.tag') || tag;
  const plan: RenderPlan = {
    revision: getString(values, 'revision'),
    istioNamespace,
    owner: {
      name: iop.metadata.name ?? 'unknown',
      namespace: iop.metadata.namespace ?? istioNamespace,
    },
    version: versionOfTag(globalTag),
    release,
    readerRbac:
      !has(release, 'readerRbacSwitch') || getPath(values, 'global.enableReaderRBAC') !== false,
    ...(has(release, 'readerServiceAccountValue') &&
    getString(values, 'global.readerServiceAccount.name')
      ? {
          readerServiceAccount: {
            name: getString(values, 'global.readerServiceAccount.name'),
            namespace: getString(values, 'global.readerServiceAccount.namespace'),
          },
        }
      : {}),
    networkPolicy:
      has(release, 'networkPolicyIstiodGateways') &&
      getPath(values, 'global.networkPolicy.enabled') === true,
    values,
    proxy: proxySettings(values, istiodCaAddress(getString(values, 'revision'), istioNamespace)),
    webhooks: webhookSettings(values),
    pullSecrets: ((s) => (Array.isArray(s) ? s.map(String) : []))(
      getPath(values, 'global.imagePullSecrets'),
    ),
    injectorCni: [
      getObject(profile, 'cni'),
      compat.injectorCni,
      // The platform file's seLinuxOptions is the node agents' own (top
      // level in Istio's file), not part of the cni block istiod sees.
      withoutKey(getObject(platformValues(platform), 'cni'), 'seLinuxOptions'),
      getObject(specValues, 'cni'),
      getObject(toObject(spec.unvalidatedValues), 'cni'),
      getObject(values, 'pilot.cni'),
    ].reduce<JsonObject>((acc, layer) => mergeJson(acc, layer), {}),
    gateways: [],
  };
  const resolve = (
    component: ComponentName,
    c: ComponentSpec | undefined,
    root: string,
  ): ComponentPlan => {
    const tag =
      getString(values, `${root}.tag`) || (c?.tag !== undefined ? String(c.tag) : globalTag);
    const hub = getString(values, `${root}.hub`) || c?.hub || globalHub;
    return {
      component,
      namespace: c?.namespace || istioNamespace,
      hub,
      tag,
      image: componentImage(values, root, hub, tag),
      pullPolicy: componentPullPolicy(values, root),
      version: versionOfTag(tag),
      k8s: c?.k8s ?? {},
    };
  };
  if (on(comps.base, true))
    plan.base = { ...resolve('Base', comps.base, 'base'), settings: baseSettings(values) };
  if (on(comps.pilot, true)) {
    const c = resolve('Pilot', comps.pilot, 'pilot');
    plan.pilot = {
      ...c,
      settings: pilotSettings(values, release, istioNamespace, {
        namespace: c.namespace,
        revision: plan.revision,
        injectorCni: plan.injectorCni,
      }),
    };
  }
  if (cniOn) {
    const c = resolve('Cni', comps.cni, 'cni');
    // The agent's --log_output_level: cni.logging.level, else a
    // global.logging.level a profile or the user set, else `info` — the CNI
    // chart's own global default, not istiod's `default:info` that the
    // merged defaults carry.
    const logLevel =
      getString(values, 'cni.logging.level') ||
      [profile, specValues, toObject(spec.unvalidatedValues)]
        .map((layer) => getString(layer, 'global.logging.level'))
        .filter(Boolean)
        .at(-1) ||
      'info';
    plan.cni = { ...c, settings: cniSettings(values, c.tag, logLevel, release, plan.revision) };
  }
  if (on(comps.ztunnel, false)) {
    plan.ztunnel = {
      ...resolve('Ztunnel', comps.ztunnel, 'ztunnel'),
      settings: ztunnelSettings(
        values,
        istiodCaAddress(plan.revision, istioNamespace),
        release,
        plan.revision,
        profile,
      ),
    };
  }

  // Gateway objects are named after the gateway: two with one name in one
  // namespace, even one ingress and one egress, would be the same objects
  // rendered twice and fight each other on every apply.
  const seen = new Map<string, string>();
  for (const [list, component, key] of [
    [comps.ingressGateways, 'IngressGateways', 'istio-ingressgateway'],
    [comps.egressGateways, 'EgressGateways', 'istio-egressgateway'],
  ] as const) {
    // values.gateways.<default gateway>.enabled: true switches that gateway on (Istio's alternative switch).
    const forced = getPath(values, `gateways.${key}.enabled`) === true;
    const field = component === 'IngressGateways' ? 'ingressGateways' : 'egressGateways';
    for (const gw of list ?? []) {
      const name = gw.name ?? key;
      if (!(gw.enabled !== false || (forced && name === key))) continue;
      const gwPlan = gatewayPlan(
        component,
        key,
        gw,
        resolve(component, gw, `gateways.${key}`),
        values,
        release,
      );
      const id = `${gwPlan.namespace}/${name}`;
      const first = seen.get(id);
      if (first) {
        const also = first === field ? '' : ` (one in ${first}, one in ${field})`;
        throw new RenderInputError(
          `spec.components.${field}: two gateways named "${name}" in namespace ${gwPlan.namespace}` +
            `${also} (give each a distinct name)`,
        );
      }
      seen.set(id, field);
      plan.gateways.push(gwPlan);
    }
  }
  return plan;
}

function gatewayPlan(
  component: 'IngressGateways' | 'EgressGateways',
  key: string,
  gw: GatewayComponentSpec,
  base: ComponentPlan,
  values: JsonObject,
  release: IstioRelease,
): GatewayPlan {
  const chart = getObject(getObject(values, 'gateways'), key);
  const name = gw.name ?? key;
  const labels = { ...getObject(chart, 'labels'), ...(gw.label ?? {}) };
  const over: JsonObject = { name, labels };
  const ports = (gw.k8s?.service as { ports?: unknown } | undefined)?.ports;
  if (Array.isArray(ports)) over.ports = toJson(ports);
  if (has(release, 'k8sReplicasIntoValues') && gw.k8s) Object.assign(over, replicaValues(gw.k8s));
  let gatewayValues: JsonObject = { ...chart, ...over };
  if (has(release, 'k8sCpuIntoValues') && gw.k8s?.resources !== undefined)
    gatewayValues = withCpuValues(gatewayValues, gw.k8s);
  const affinity = gatewayAffinity(values, gatewayValues);
  return {
    ...base,
    component,
    name,
    values: gatewayValues,
    ...(affinity ? { affinity } : {}),
    settings: gatewaySettings(gatewayValues, values, release),
  };
}

/**
 * The chart values istioctl 1.28 derives from a component's k8s settings:
 * `hpaSpec.minReplicas` → autoscaleMin, a positive `hpaSpec.maxReplicas` →
 * autoscaleMax, a positive `replicaCount` → replicaCount.
 */
function replicaValues(k8s: KubernetesResourcesSpec): JsonObject {
  const out: JsonObject = {};
  const hpa = toObject(k8s.hpaSpec);
  if (typeof hpa.minReplicas === 'number') out.autoscaleMin = hpa.minReplicas;
  if (typeof hpa.maxReplicas === 'number' && hpa.maxReplicas > 0)
    out.autoscaleMax = hpa.maxReplicas;
  if (typeof k8s.replicaCount === 'number' && k8s.replicaCount > 0)
    out.replicaCount = k8s.replicaCount;
  return out;
}

/**
 * A component's chart values with `resources.{limits,requests}.cpu` set
 * from its k8s block, written as Kubernetes writes a quantity (istioctl
 * copies the parsed quantity's canonical text: `1000m` becomes `1`).
 */
function withCpuValues(chart: JsonObject, k8s: KubernetesResourcesSpec): JsonObject {
  const res = toObject(k8s.resources);
  let resources = getObject(chart, 'resources');
  for (const kind of ['limits', 'requests'] as const) {
    const cpu = canonicalCpu(getPath(res, `${kind}.cpu`));
    if (cpu === undefined) continue;
    resources = { ...resources, [kind]: { ...getObject(resources, kind), cpu } };
  }
  return { ...chart, resources };
}

/** A CPU quantity in Kubernetes' canonical form (`0.5` → `500m`, `2000m` → `2`); undefined for none or zero. */
export function canonicalCpu(q: unknown): string | undefined {
  if (typeof q !== 'string' && typeof q !== 'number') return undefined;
  const m = /^([0-9]*\.?[0-9]+)(m?)$/.exec(String(q).trim());
  if (!m) return String(q);
  const millis = Math.ceil(Number(m[1]) * (m[2] ? 1 : 1000));
  if (millis === 0) return undefined;
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** `o` without `key` (a shallow copy). */
function withoutKey(o: JsonObject, key: string): JsonObject {
  const out = { ...o };
  delete out[key];
  return out;
}
