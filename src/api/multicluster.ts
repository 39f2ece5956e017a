/**
 * Checks of the multi-cluster settings (`values.global.multiCluster`,
 * `network`, `meshNetworks`, `remotePilotAddress`, `istiodRemote.*`).
 * istioctl accepts every one of these mistakes and the mesh then fails
 * quietly: a remote cluster named like its primary, a webhook calling an
 * istiod nobody runs, proxies that claim another cluster's ID. Most are
 * warnings because istioctl accepts them and Istio's own test inputs use
 * some of the shapes; a setting that contradicts another is an error.
 * Pure; runs on the merged IstioOperator (so the remote profile's values
 * are seen) or on a user's file alone.
 */
import { getPath } from '../json/path.js';
import { isObject } from '../json/value.js';
import type { Diagnostic, JsonObject } from './types.js';

/** The cluster ID every istiod and proxy uses when `multiCluster.clusterName` is unset. */
export const DEFAULT_CLUSTER_ID = 'Kubernetes';

/** `/inject/cluster/<cluster>/net/<network>`: the injector path that sets a proxy's cluster and network. */
const INJECT_PATH = /\/inject(?:\/cluster\/([^/]+))?(?:\/net\/([^/]+))?\/?$/;

const str = (spec: JsonObject, ...path: string[]): string => {
  const v = getPath(spec, path);
  return typeof v === 'string' ? v : '';
};

/** The path of a URL ('' when it is no URL: the schema and the API server judge that). */
function urlPath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '';
  }
}

/** Whether the spec installs a remote cluster (profile remote, by spec or values). */
export function isRemoteSpec(spec: JsonObject): boolean {
  return (
    spec.profile === 'remote' ||
    getPath(spec, ['values', 'profile']) === 'remote' ||
    getPath(spec, ['values', 'istiodRemote', 'enabled']) === true ||
    getPath(spec, ['values', 'pilot', 'istiodRemote', 'enabled']) === true
  );
}

/** The injector path a remote cluster's proxies should be injected through. */
export function remoteInjectionPath(cluster: string, network: string): string {
  return `/inject/cluster/${cluster}${network ? `/net/${network}` : ''}`;
}

function remoteChecks(spec: JsonObject, out: Diagnostic[]): void {
  const cluster = str(spec, 'values', 'global', 'multiCluster', 'clusterName');
  const network = str(spec, 'values', 'global', 'network');
  const address = str(spec, 'values', 'global', 'remotePilotAddress');
  const remote = (key: string) =>
    str(spec, 'values', 'istiodRemote', key) || str(spec, 'values', 'pilot', 'istiodRemote', key);
  const url = remote('injectionURL');
  const path = remote('injectionPath');
  const localInjector =
    getPath(spec, ['values', 'istiodRemote', 'enabledLocalInjectorIstiod']) === true;
  const wanted = remoteInjectionPath(cluster || '<this cluster>', network);

  if (!cluster || cluster === DEFAULT_CLUSTER_ID) {
    out.push({
      severity: 'warning',
      path: 'spec.values.global.multiCluster.clusterName',
      ...(cluster ? { value: cluster } : {}),
      message: `a remote cluster ${cluster ? 'named' : 'without a name is'} "${DEFAULT_CLUSTER_ID}", the name every primary has by default: the primary's istiod cannot tell the two apart`,
      fix: 'set values.global.multiCluster.clusterName to a name of its own, the same name its remote secret has (create-remote-secret --name)',
    });
  }
  if (localInjector) return;
  if (!address && !url) {
    out.push({
      severity: 'warning',
      path: 'spec.values.global.remotePilotAddress',
      message:
        'is not set and neither is values.istiodRemote.injectionURL: the injector webhook calls Service istiod in this cluster, which nothing creates, so pod creation in injected namespaces fails',
      fix: "set values.global.remotePilotAddress to the address of the primary's istiod (or its east-west gateway), or values.istiodRemote.injectionURL",
    });
  }
  const given = url ? urlPath(url) : path || '/inject';
  const m = INJECT_PATH.exec(given);
  const field = url
    ? 'spec.values.istiodRemote.injectionURL'
    : 'spec.values.istiodRemote.injectionPath';
  if (!given.includes('/cluster/')) {
    out.push({
      severity: 'warning',
      path: field,
      ...(url || path ? { value: url || path } : {}),
      message:
        "names no cluster: the primary's injector then gives the pods of this cluster the primary's cluster ID, and their endpoints are attributed to the wrong cluster",
      fix: url
        ? `end the URL's path with ${wanted}`
        : `set values.istiodRemote.injectionPath: ${wanted}`,
    });
  } else if (m && m[1] && cluster && m[1] !== cluster) {
    out.push({
      severity: 'error',
      path: field,
      value: url || path,
      message: `names cluster ${m[1]}, but values.global.multiCluster.clusterName is ${cluster}: proxies and gateways of this cluster would claim two different cluster IDs`,
      fix: `use ${wanted} in the injector path, or rename the cluster`,
    });
  } else if (m && m[2] && network && m[2] !== network) {
    out.push({
      severity: 'error',
      path: field,
      value: url || path,
      message: `names network ${m[2]}, but values.global.network is ${network}: sidecars and gateways of this cluster would be placed on two different networks`,
      fix: `use ${wanted} in the injector path, or change values.global.network`,
    });
  }
}

function primaryChecks(spec: JsonObject, out: Diagnostic[]): void {
  const cluster = str(spec, 'values', 'global', 'multiCluster', 'clusterName');
  const meshID = str(spec, 'values', 'global', 'meshID');
  const network = str(spec, 'values', 'global', 'network');
  if (!cluster && (meshID || network)) {
    out.push({
      severity: 'warning',
      path: 'spec.values.global.multiCluster.clusterName',
      message: `is not set while ${meshID ? 'values.global.meshID' : 'values.global.network'} is: this cluster is then "${DEFAULT_CLUSTER_ID}", like every other cluster that leaves it out, and two clusters with one name cannot join one mesh`,
      fix: 'set values.global.multiCluster.clusterName to a name unique in the mesh',
    });
  }
}

function meshNetworksChecks(spec: JsonObject, out: Diagnostic[]): void {
  const networks = getPath(spec, ['values', 'global', 'meshNetworks']);
  if (!isObject(networks) || Object.keys(networks).length === 0) return;
  const own = str(spec, 'values', 'global', 'network');
  if (own && !(own in networks)) {
    out.push({
      severity: 'warning',
      path: 'spec.values.global.meshNetworks',
      message: `does not list this cluster's own network ${own} (values.global.network)`,
      fix: `add networks.${own} with this cluster's endpoints (fromRegistry: <clusterName>)`,
    });
  }
  for (const [name, n] of Object.entries(networks)) {
    const at = `spec.values.global.meshNetworks.${name}`;
    if (!isObject(n)) continue;
    const gateways = n.gateways;
    if (name !== own && (!Array.isArray(gateways) || gateways.length === 0)) {
      out.push({
        severity: 'warning',
        path: `${at}.gateways`,
        message: `network ${name} is not this cluster's (${own || 'no values.global.network'}) and lists no gateway: traffic to its endpoints has no way in`,
        fix: `list its east-west gateway: gateways: [{registryServiceName: istio-eastwestgateway.istio-system.svc.cluster.local, port: 15443}] (or address:)`,
      });
    }
    if (!Array.isArray(gateways)) continue;
    gateways.forEach((g: unknown, i) => {
      if (!isObject(g)) return;
      const hasAddress =
        (typeof g.address === 'string' && g.address !== '') ||
        (typeof g.registryServiceName === 'string' && g.registryServiceName !== '');
      if (!hasAddress || typeof g.port !== 'number') {
        out.push({
          severity: 'error',
          path: `${at}.gateways[${i}]`,
          value: g,
          message: `needs ${hasAddress ? '' : 'an address or registryServiceName'}${!hasAddress && typeof g.port !== 'number' ? ' and ' : ''}${typeof g.port !== 'number' ? 'a port' : ''}: istiod refuses the whole meshNetworks without them`,
          fix: 'write e.g. {registryServiceName: istio-eastwestgateway.istio-system.svc.cluster.local, port: 15443}',
        });
      }
    });
  }
}

/** Every multi-cluster finding for an IstioOperator's spec (errors and warnings). */
export function multiClusterDiagnostics(spec: JsonObject): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (isRemoteSpec(spec)) remoteChecks(spec, out);
  else primaryChecks(spec, out);
  meshNetworksChecks(spec, out);
  return out;
}
