import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { parseManifest } from '../../src/yaml/manifest.js';
import type { K8sObject } from '../../src/render/object.js';
import { isOlder, releaseOfMinor, type IstioMinor } from '../../src/releases/catalog.js';
import { injectorInputs, writeInjectorInputs } from './injector-files.js';
import { run } from './istioctl.js';
import { renderOurs } from './ours.js';

/** The sample workloads both sides' injector configurations inject. */
export const WORKLOADS = join(import.meta.dirname, 'workloads', 'workloads.yaml');

/** Control-plane settings the injector's output depends on, each rendered by both sides. */
export interface InjectionCase {
  name: string;
  spec: Record<string, unknown>;
  revision?: string;
  /** Environment of istioctl kube-inject (istiod's feature flags). */
  env?: Record<string, string>;
  /** The first Istio line that has the setting (istioctl of an older line refuses it or ignores it). */
  since?: IstioMinor;
}

export const CASES: readonly InjectionCase[] = [
  { name: 'default', spec: {} },
  { name: 'native-sidecars', spec: {}, env: { ENABLE_NATIVE_SIDECARS: 'true' } },
  { name: 'cni', spec: { components: { cni: { enabled: true } } } },
  { name: 'ambient', spec: { profile: 'ambient' } },
  { name: 'revision', spec: { revision: 'canary' }, revision: 'canary' },
  { name: 'demo', spec: { profile: 'demo' } },
  {
    name: 'proxy-values',
    spec: {
      values: {
        global: {
          caAddress: 'ca.example.com:443',
          mountMtlsCerts: true,
          nativeNftables: true,
          logging: { level: 'all:debug' },
          sts: { servicePort: 15463 },
          proxy: {
            holdApplicationUntilProxyStarts: true,
            privileged: true,
            logLevel: 'debug',
            componentLogLevel: 'misc:warn',
            outlierLogPath: '/dev/stdout',
            readinessPeriodSeconds: 7,
            startupProbe: { enabled: false },
            excludeOutboundPorts: '6379',
            tracer: 'datadog',
          },
        },
        sidecarInjectorWebhook: { rewriteAppHTTPProbe: false },
      },
    },
  },
  {
    name: 'mesh-and-values',
    spec: {
      meshConfig: {
        defaultConfig: {
          holdApplicationUntilProxyStarts: true,
          proxyMetadata: { ISTIO_META_DNS_CAPTURE: 'true' },
        },
        trustDomain: 'example.org',
      },
      values: {
        global: {
          logAsJson: true,
          meshID: 'mesh1',
          network: 'net1',
          multiCluster: { clusterName: 'c1' },
          imagePullPolicy: 'IfNotPresent',
          imagePullSecrets: ['regcred'],
          proxy: {
            includeIPRanges: '10.0.0.0/8',
            excludeIPRanges: '10.0.0.1/32',
            resources: { requests: { cpu: '20m', memory: '64Mi' } },
          },
        },
      },
    },
  },
  // The proxy's seccomp profile reaches the init container and the proxy,
  // also when the proxy runs as a native sidecar. (Unvalidated: istioctl
  // 1.28's values schema does not know the key its chart reads.)
  {
    name: 'proxy-seccomp',
    since: '1.28',
    spec: {
      unvalidatedValues: { global: { proxy: { seccompProfile: { type: 'RuntimeDefault' } } } },
    },
    env: { ENABLE_NATIVE_SIDECARS: 'true' },
  },
  {
    name: 'proxy-seccomp-cni',
    since: '1.28',
    spec: {
      components: { cni: { enabled: true } },
      unvalidatedValues: {
        global: {
          proxy: { seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/proxy.json' } },
        },
      },
    },
  },
  {
    // A tracing provider asking for OpenTelemetry's semantic conventions:
    // the proxy gets OTEL_RESOURCE_ATTRIBUTES.
    name: 'otel-resource-attributes',
    since: '1.30',
    spec: {
      meshConfig: {
        extensionProviders: [
          {
            name: 'otel',
            opentelemetry: {
              service: 'otel-collector.observability.svc.cluster.local',
              port: 4317,
              serviceAttributeEnrichment: 'OTEL_SEMANTIC_CONVENTIONS',
            },
          },
        ],
      },
    },
  },
];

/** The cases a release line's istioctl can render. */
export function casesFor(minor: IstioMinor): InjectionCase[] {
  const release = releaseOfMinor(minor)!;
  return CASES.filter((c) => !c.since || !isOlder(release, releaseOfMinor(c.since)!));
}

/** An IstioOperator with this spec, as YAML. */
export function iopYaml(spec: Record<string, unknown>): string {
  return yaml.dump({ apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', spec });
}

/** The kube-inject flags for a rendered manifest's injector ConfigMaps (written to `dir`). */
export function injectorFlags(objects: K8sObject[], dir: string, side: string): string[] {
  const f = writeInjectorInputs(injectorInputs(objects, side), dir, side);
  return ['--injectConfigFile', f.config, '--valuesFile', f.values, '--meshConfigFile', f.mesh];
}

/** What one case yields: the workloads as each side's injector configuration injected them. */
export interface InjectedCase {
  oracle: K8sObject[];
  ours: K8sObject[];
}

/**
 * Runs one case with `istioctl` (of any line) and image tag `tag`: the
 * oracle renders the injector's inputs (`manifest generate`), we render
 * ours from the same input, and the oracle's `kube-inject` injects the
 * sample workloads with each side's inputs. Throws on a failed run.
 */
export async function injectCase(
  istioctl: string,
  tag: string,
  c: InjectionCase,
  dir: string,
): Promise<InjectedCase> {
  const input = iopYaml(c.spec);
  const inputFile = join(dir, `${c.name}-iop.yaml`);
  writeFileSync(inputFile, input);
  const set = `tag=${tag}`;
  const gen = await run(istioctl, ['manifest', 'generate', '-f', inputFile, '--set', set]);
  if (gen.code !== 0) throw new Error(`istioctl manifest generate (${c.name}):\n${gen.stderr}`);
  const theirs = parseManifest(gen.stdout, 'istioctl');
  const ours = renderOurs(`${c.name}.yaml`, input, [set]);
  // Always a revision: without one, istioctl 1.28+ asks a cluster for the
  // default revision (and waits for one). `default` means none to every
  // line's kube-inject: it renders the templates with an empty revision.
  const rev = ['--revision', c.revision ?? 'default'];
  const inject = async (objects: K8sObject[], side: string) => {
    const r = await run(
      istioctl,
      ['kube-inject', '-f', WORKLOADS, ...injectorFlags(objects, dir, `${c.name}-${side}`), ...rev],
      c.env,
    );
    if (r.code !== 0)
      throw new Error(`kube-inject (${c.name}) with ${side}'s ConfigMaps failed:\n${r.stderr}`);
    return parseManifest(r.stdout, side);
  };
  return { oracle: await inject(theirs, 'istioctl'), ours: await inject(ours, 'ours') };
}
