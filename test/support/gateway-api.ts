import type * as k8s from '@kubernetes/client-node';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { downloadGoModule } from '../../scripts/istio-crds.js';
import { moduleOf, pilotDiscoveryFor, TOOLS_DIR } from '../../src/cluster/binaries.js';
import { waitFor } from '../../src/cluster/health.js';
import type { KubeClient } from '../../src/kube/client.js';

const TOOLS = join(TOOLS_DIR, 'gateway-api');
const MODULE = 'sigs.k8s.io/gateway-api';
const PIN = /^\s*(?:require\s+)?sigs\.k8s\.io\/gateway-api\s+(v\S+)/m;

/** The Istio lines with Gateway API CRDs pinned for them: tools/gateway-api/<line>. */
export async function gatewayApiLines(): Promise<string[]> {
  return (await readdir(TOOLS)).filter((d) => /^\d+\.\d+$/.test(d)).sort();
}

/** The version of sigs.k8s.io/gateway-api that tools/gateway-api/<line>/go.mod pins. */
export async function pinnedGatewayApiVersion(line: string): Promise<string> {
  const file = join(TOOLS, line, 'go.mod');
  const gomod = await readFile(file, 'utf8').catch(() => {
    throw new Error(
      `${file}: no Gateway API pinned for Istio ${line}. Add tools/gateway-api/${line}/go.mod ` +
        `requiring the ${MODULE} version that line's istio.io/istio go.mod requires`,
    );
  });
  const m = PIN.exec(gomod);
  if (!m?.[1]) throw new Error(`${file}: no \`require ${MODULE} vX.Y.Z\``);
  return m[1];
}

/**
 * The version of sigs.k8s.io/gateway-api that the line's pilot-discovery is
 * built against (its wrapper module's go.mod, which lists every module of
 * the build): what tools/gateway-api/<line> must pin. Undefined for a line
 * without a pilot-discovery.
 */
export async function istiodGatewayApiVersion(line: string): Promise<string | undefined> {
  const bin = pilotDiscoveryFor(line);
  if (!bin) return undefined;
  return PIN.exec(await readFile(join(TOOLS_DIR, moduleOf(bin), 'go.mod'), 'utf8'))?.[1];
}

/**
 * The Gateway API's standard-channel CRDs (GatewayClass, Gateway,
 * HTTPRoute, GRPCRoute, ReferenceGrant, and from v1.5 BackendTLSPolicy,
 * ListenerSet, TLSRoute, …) of the version the Istio `line` is built
 * against, as published: the project's tests install them, Istio does not
 * (users do). The channel's safe-upgrades ValidatingAdmissionPolicy (v1.5+)
 * is left out: it only guards later CRD changes, and istiod reads nothing
 * of it. Read from the local Go module cache only — tests never reach the
 * network; `.ci/run` downloads the modules with the binaries.
 */
export async function gatewayApiCrds(line: string): Promise<k8s.V1CustomResourceDefinition[]> {
  const version = await pinnedGatewayApiVersion(line);
  const tools = join(TOOLS, line);
  const dir = await downloadGoModule(
    tools,
    MODULE,
    version,
    `the Gateway API CRDs come from the Go module ${MODULE} ${version} (tools/gateway-api/${line}), ` +
      'and the Go toolchain (`go`) is not on PATH: install Go 1.24 or newer',
    true,
  ).catch((err: Error) => {
    throw new Error(
      `${err.message}\nThe tests read ${MODULE} from the local module cache only. Fix: ` +
        `(cd tools/gateway-api/${line} && go mod download ${MODULE}), as .ci/run does.`,
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

/** Applies the Gateway API CRDs of an Istio line and waits until the API server serves them all. */
export async function installGatewayApiCrds(client: KubeClient, line: string): Promise<string[]> {
  const crds = await gatewayApiCrds(line);
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
