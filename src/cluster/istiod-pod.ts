import type * as k8s from '@kubernetes/client-node';
import { LABELS } from '../api/vocabulary.js';
import { parseQuantity } from '../apply/subset.js';
import { parseVersion } from '../releases/version.js';
import { ISTIO_BINARY_LINES, pilotDiscoveryFor, type BinaryName } from './binaries.js';

/**
 * How the istiod container of a live Deployment becomes a local process:
 * its args and env, taken as they are, with only what a pod gets from its
 * node and network rewritten for loopback. Pure, so every rewrite is
 * unit-tested; istiod.ts does the I/O.
 */

/** The listeners of pilot-discovery that the Deployment's ports name. */
export type Listener = 'http' | 'https' | 'grpc' | 'secureGrpc' | 'monitoring';

/**
 * Each listener's flag and its default address in pilot-discovery
 * (pilot/cmd/pilot-discovery/app/cmd.go): readiness and debug on 8080,
 * webhooks on 15017, plain and TLS xDS on 15010 and 15012, metrics on 15014.
 * One table for every line run here: pilot-discovery 1.27.0, ~1.30.4 and
 * ~1.31.0 define these five flags and ControlZ's with the same defaults and
 * open no other listener (pilot/pkg/bootstrap; `discovery --help` of the
 * three differs only by 1.30's `--tls-min-version`, which binds nothing).
 */
export const LISTENER_FLAGS: Record<Listener, { flag: string; defaultPort: number }> = {
  http: { flag: '--httpAddr', defaultPort: 8080 },
  https: { flag: '--httpsAddr', defaultPort: 15017 },
  grpc: { flag: '--grpcAddr', defaultPort: 15010 },
  secureGrpc: { flag: '--secureGRPCAddr', defaultPort: 15012 },
  monitoring: { flag: '--monitoringAddr', defaultPort: 15014 },
};

/** The ControlZ introspection listener (default localhost:9876), which the Deployment does not name. */
const CTRLZ_FLAGS = ['--ctrlz_port', '--ctrlz_address'];

/** Loopback ports one local istiod listens on. */
export type LocalPorts = Record<Listener | 'ctrlz', number>;

/** The container args for a local istiod, and the pod port each listener had. */
export interface LocalArgs {
  args: string[];
  /** The port each listener had in the pod (what the Service's targetPort names). */
  podPorts: Record<Listener, number>;
}

function portOf(addr: string, fallback: number): number {
  const m = /:(\d+)$/.exec(addr);
  return m ? Number(m[1]) : fallback;
}

/**
 * Rewrites the container's args for a local process: every listener binds
 * 127.0.0.1 on its own port (a pod has its own network namespace, a local
 * process shares the machine's, so two istiods — or anything already on
 * 8080 — would collide, and nothing may listen beyond loopback). All other
 * args are kept as the Deployment has them, in order.
 */
export function localArgs(args: readonly string[], ports: LocalPorts): LocalArgs {
  const owned = new Map<string, Listener>();
  for (const [l, f] of Object.entries(LISTENER_FLAGS)) owned.set(f.flag, l as Listener);
  const podPorts = Object.fromEntries(
    Object.entries(LISTENER_FLAGS).map(([l, f]) => [l, f.defaultPort]),
  ) as Record<Listener, number>;
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    const listener = owned.get(name);
    if (listener || CTRLZ_FLAGS.includes(name)) {
      // `--flag=value` or `--flag value`
      const value = eq > 0 ? a.slice(eq + 1) : (args[++i] ?? '');
      if (listener) podPorts[listener] = portOf(value, LISTENER_FLAGS[listener].defaultPort);
      continue;
    }
    out.push(a);
  }
  for (const [l, f] of Object.entries(LISTENER_FLAGS)) {
    out.push(`${f.flag}=127.0.0.1:${ports[l as Listener]}`);
  }
  out.push(`--ctrlz_port=${ports.ctrlz}`, '--ctrlz_address=127.0.0.1');
  return { args: out, podPorts };
}

/** The Istio release an istiod Deployment runs, and where that was read. */
export interface IstiodRelease {
  /** As the Deployment names it: `1.31.4` (or `1.31-dev`, say, from an image tag). */
  version: string;
  /** Its line, `major.minor`: which pilot-discovery stands in for it. */
  line: string;
  /** The operator's `operator.istio.io/version` label, or the container's image tag. */
  source: 'label' | 'image';
}

/** The tag of an image reference (`docker.io/istio/pilot:1.31.4` → `1.31.4`); '' for none or a digest. */
export function imageTag(image: string): string {
  const name = image.split('@')[0]!;
  const last = name.slice(name.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return colon < 0 ? '' : last.slice(colon + 1);
}

/**
 * The Istio release of an istiod Deployment: its `operator.istio.io/version`
 * label (what the operator installed, the IstioOperator's tag as a version),
 * else the discovery container's image tag (a Deployment that `istioctl` or
 * Helm installed carries no such label). Undefined when neither names a
 * version (`latest`, a digest): the caller must then say which pilot-discovery
 * to run. Pure.
 */
export function istiodReleaseOf(
  labels: Readonly<Record<string, string>> | undefined,
  image: string | undefined,
): IstiodRelease | undefined {
  const candidates: [IstiodRelease['source'], string][] = [
    ['label', labels?.[LABELS.version] ?? ''],
    ['image', imageTag(image ?? '')],
  ];
  for (const [source, value] of candidates) {
    const v = parseVersion(value);
    if (v) return { version: value.replace(/^v/, ''), line: `${v.major}.${v.minor}`, source };
  }
  return undefined;
}

/**
 * Which pilot-discovery stands in for a Deployment of `release`
 * ({@link istiodReleaseOf}): its line's. Throws, naming the Deployment, its
 * version and the line, when the line has none (1.28, 1.29: the Go module
 * proxy serves no istio.io/istio commit of theirs that builds) or when the
 * Deployment names no version.
 */
export function pilotDiscoveryNameOf(
  deployment: string,
  release: IstiodRelease | undefined,
  image: string | undefined,
): BinaryName {
  if (!release) {
    throw new Error(
      `Deployment ${deployment} names no Istio version (neither its ${LABELS.version} label ` +
        `nor its image ${image ?? '(none)'}), so which pilot-discovery stands in for it is ` +
        'unknown: pass the binary to run',
    );
  }
  const name = pilotDiscoveryFor(release.line);
  if (name) return name;
  const from = release.source === 'label' ? `its ${LABELS.version} label` : `its image ${image}`;
  throw new Error(
    `Deployment ${deployment} runs Istio ${release.version} (${from}), and there is no ` +
      `pilot-discovery of the ${release.line} line to run in its place: only ` +
      `${ISTIO_BINARY_LINES.join(', ')} build from the Go module proxy. Install one of ` +
      'those lines, or pass the binary to run',
  );
}

/** What the downward API and `valueFrom` references resolve against, for one local "pod". */
export interface EnvContext {
  podName: string;
  namespace: string;
  serviceAccount: string;
  /** The container's resources (limits feed `resourceFieldRef`). */
  resources?: k8s.V1ResourceRequirements | undefined;
  /** Reads a ConfigMap (`configMap`) or Secret (`secret`, decoded) key; undefined when absent. */
  lookup(kind: 'configMap' | 'secret', name: string, key: string): Promise<string | undefined>;
}

/** The environment of a local istiod and the notes on what could not be taken as is. */
export interface LocalEnv {
  env: Record<string, string>;
  notes: string[];
}

const FIELD_REFS: Record<string, (c: EnvContext) => string> = {
  'metadata.name': (c) => c.podName,
  'metadata.namespace': (c) => c.namespace,
  'spec.serviceAccountName': (c) => c.serviceAccount,
  // The process listens on loopback only: that is its pod and host address.
  'status.podIP': () => '127.0.0.1',
  'status.podIPs': () => '127.0.0.1',
  'status.hostIP': () => '127.0.0.1',
  'status.hostIPs': () => '127.0.0.1',
  'spec.nodeName': () => 'localhost',
};

/** `$(NAME)` references to earlier variables, as the kubelet expands them; `$$` escapes. */
export function expandVars(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) =>
    m === '$$' ? '$' : name !== undefined && name in env ? env[name]! : m,
  );
}

/**
 * The container's env for a local istiod. Plain values are kept; the
 * downward API resolves against the local "pod" ({@link EnvContext});
 * ConfigMap and Secret references are read from the API server.
 * `resourceFieldRef` resolves from the container's own limits, as the
 * kubelet does; without a limit the kubelet would give the node's
 * allocatable capacity, and a kwok node's is invented (32 CPUs), so the
 * variable is left out and the Go runtime sizes itself to this machine.
 */
export async function localEnv(vars: readonly k8s.V1EnvVar[], ctx: EnvContext): Promise<LocalEnv> {
  const env: Record<string, string> = {};
  const notes: string[] = [];
  for (const v of vars) {
    const from = v.valueFrom;
    if (!from) {
      env[v.name] = expandVars(v.value ?? '', env);
      continue;
    }
    if (from.fieldRef) {
      const get = FIELD_REFS[from.fieldRef.fieldPath];
      if (get) env[v.name] = get(ctx);
      else
        notes.push(`${v.name}: fieldRef ${from.fieldRef.fieldPath} has no local value; left out`);
      continue;
    }
    if (from.resourceFieldRef) {
      const { resource, divisor } = from.resourceFieldRef;
      const [kind, res] = resource.split('.') as [string, string];
      const table = kind === 'limits' ? ctx.resources?.limits : ctx.resources?.requests;
      const raw = table?.[res];
      const q = raw === undefined ? undefined : parseQuantity(String(raw));
      const d = parseQuantity(String(divisor ?? '1')) ?? 1;
      if (q === undefined) {
        notes.push(
          `${v.name}: the container sets no ${resource}, so a pod would get the node's ` +
            'allocatable capacity (invented on a kwok node); left out',
        );
        continue;
      }
      // The kubelet rounds up, and never gives 0 for a set limit.
      env[v.name] = String(Math.max(1, Math.ceil(q / d)));
      continue;
    }
    const ref = from.configMapKeyRef ?? from.secretKeyRef;
    if (ref) {
      const kind = from.configMapKeyRef ? 'configMap' : 'secret';
      const value = await ctx.lookup(kind, ref.name ?? '', ref.key);
      if (value !== undefined) env[v.name] = value;
      else if (!ref.optional) {
        throw new Error(
          `env ${v.name}: ${kind} ${ctx.namespace}/${ref.name} has no key ${ref.key}; ` +
            'a pod would not start either (create it, or mark the reference optional)',
        );
      }
    }
  }
  return { env, notes };
}

/** One file a volume puts into the pod's filesystem, relative to its mount path. */
export interface VolumeFile {
  path: string;
  content: string | Buffer;
  /** Tokens and Secrets are written owner-only. */
  secret: boolean;
}

/** What one mounted volume holds. */
export type VolumeContent =
  | { kind: 'files'; files: VolumeFile[] }
  | { kind: 'empty' }
  | { kind: 'absent' }
  | { kind: 'unsupported'; why: string };

/** Reads what the API server holds for a volume's sources. */
export interface VolumeSources {
  /** ConfigMap data (binaryData decoded), or undefined when it does not exist. */
  configMap(name: string): Promise<Record<string, string | Buffer> | undefined>;
  /** Secret data, decoded; undefined when it does not exist. */
  secret(name: string): Promise<Record<string, Buffer> | undefined>;
  /** A token of the pod's ServiceAccount (TokenRequest) for an audience ('' = the API server's). */
  token(audience: string, expirationSeconds: number): Promise<string>;
}

function pick<T>(
  data: Record<string, T>,
  items: readonly { key: string; path: string }[] | undefined,
): [string, T][] {
  if (!items?.length) return Object.entries(data);
  return items.filter((i) => i.key in data).map((i) => [i.path, data[i.key]!]);
}

/**
 * The files a pod volume would show, read from the API server: ConfigMap
 * and Secret volumes (optional ones may be absent), projected volumes of
 * ServiceAccount tokens, ConfigMaps and Secrets, and emptyDirs. Other
 * kinds (hostPath, CSI, claims) have no local meaning and are reported.
 */
export async function volumeContent(vol: k8s.V1Volume, src: VolumeSources): Promise<VolumeContent> {
  if (vol.emptyDir) return { kind: 'empty' };
  if (vol.configMap) {
    const data = await src.configMap(vol.configMap.name ?? '');
    if (!data) {
      if (vol.configMap.optional) return { kind: 'absent' };
      throw new Error(
        `volume ${vol.name}: ConfigMap ${vol.configMap.name} does not exist (a pod would wait for it)`,
      );
    }
    return {
      kind: 'files',
      files: pick(data, vol.configMap.items).map(([path, content]) => ({
        path,
        content,
        secret: false,
      })),
    };
  }
  if (vol.secret) {
    const data = await src.secret(vol.secret.secretName ?? '');
    if (!data) {
      if (vol.secret.optional) return { kind: 'absent' };
      throw new Error(
        `volume ${vol.name}: Secret ${vol.secret.secretName} does not exist (a pod would wait for it)`,
      );
    }
    return {
      kind: 'files',
      files: pick(data, vol.secret.items).map(([path, content]) => ({
        path,
        content,
        secret: true,
      })),
    };
  }
  if (vol.projected) {
    const files: VolumeFile[] = [];
    for (const s of vol.projected.sources ?? []) {
      if (s.serviceAccountToken) {
        const t = s.serviceAccountToken;
        files.push({
          path: t.path,
          content: await src.token(t.audience ?? '', t.expirationSeconds ?? 3600),
          secret: true,
        });
      } else if (s.configMap) {
        const data = await src.configMap(s.configMap.name ?? '');
        if (!data && !s.configMap.optional) {
          throw new Error(`volume ${vol.name}: ConfigMap ${s.configMap.name} does not exist`);
        }
        for (const [path, content] of pick(data ?? {}, s.configMap.items)) {
          files.push({ path, content, secret: false });
        }
      } else if (s.secret) {
        const data = await src.secret(s.secret.name ?? '');
        if (!data && !s.secret.optional) {
          throw new Error(`volume ${vol.name}: Secret ${s.secret.name} does not exist`);
        }
        for (const [path, content] of pick(data ?? {}, s.secret.items)) {
          files.push({ path, content, secret: true });
        }
      } else {
        return { kind: 'unsupported', why: `projected source ${Object.keys(s).join(',')}` };
      }
    }
    return { kind: 'files', files };
  }
  const kind = Object.keys(vol).find((k) => k !== 'name') ?? 'unknown';
  return { kind: 'unsupported', why: `${kind} volumes have no local equivalent` };
}
