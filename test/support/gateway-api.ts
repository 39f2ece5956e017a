import type * as k8s from '@kubernetes/client-node';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { downloadGoModule } from '../../scripts/istio-crds.js';
import { waitFor } from '../../src/cluster/health.js';
import type { KubeClient } from '../../src/kube/client.js';
import { ROOT } from './cli.js';

const TOOLS = join(ROOT, 'tools', 'gateway-api');
const MODULE = 'sigs.k8s.io/gateway-api';

/** The version of sigs.k8s.io/gateway-api that tools/gateway-api/go.mod pins. */
export async function pinnedGatewayApiVersion(): Promise<string> {
  const m = /^\s*require\s+sigs\.k8s\.io\/gateway-api\s+(v\S+)/m.exec(
    await readFile(join(TOOLS, 'go.mod'), 'utf8'),
  );
  if (!m?.[1])
    throw new Error('tools/gateway-api/go.mod: no `require sigs.k8s.io/gateway-api vX.Y.Z`');
  return m[1];
}

/**
 * The Gateway API's standard-channel CRDs (GatewayClass, Gateway,
 * HTTPRoute, GRPCRoute, ReferenceGrant) from the pinned module, as
 * published: the project's tests install them, Istio does not (users do).
 * Read from the local Go module cache only — tests never reach the
 * network; `.ci/run` downloads the module with the binaries.
 */
export async function gatewayApiCrds(): Promise<k8s.V1CustomResourceDefinition[]> {
  const version = await pinnedGatewayApiVersion();
  const dir = await downloadGoModule(
    TOOLS,
    MODULE,
    version,
    `the Gateway API CRDs come from the Go module ${MODULE} ${version} (tools/gateway-api), ` +
      'and the Go toolchain (`go`) is not on PATH: install Go 1.24 or newer',
    true,
  ).catch((err: Error) => {
    throw new Error(
      `${err.message}\nThe tests read ${MODULE} from the local module cache only. Fix: ` +
        `(cd tools/gateway-api && go mod download ${MODULE}), as .ci/run does.`,
    );
  });
  const folder = join(dir, 'config', 'crd', 'standard');
  const out: k8s.V1CustomResourceDefinition[] = [];
  for (const f of (await readdir(folder)).filter((n) => n.endsWith('.yaml')).sort()) {
    for (const doc of yaml.loadAll(await readFile(join(folder, f), 'utf8'))) {
      const o = doc as k8s.V1CustomResourceDefinition | null;
      if (o?.kind === 'CustomResourceDefinition') out.push(o);
    }
  }
  if (out.length === 0) throw new Error(`${folder}: no CustomResourceDefinition`);
  return out;
}

/** Applies the Gateway API CRDs and waits until the API server serves them all. */
export async function installGatewayApiCrds(client: KubeClient): Promise<string[]> {
  const crds = await gatewayApiCrds();
  for (const crd of crds) await client.apply(crd);
  await waitFor(
    'Gateway API CRDs established',
    async () => {
      for (const crd of crds) {
        const live = (await client.get({
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: crd.metadata!.name! },
        })) as k8s.V1CustomResourceDefinition;
        const ok = live.status?.conditions?.some(
          (c) => c.type === 'Established' && c.status === 'True',
        );
        if (!ok) return false;
      }
      return true;
    },
    30_000,
    undefined,
    200,
  );
  return crds.map((c) => c.metadata!.name!);
}
