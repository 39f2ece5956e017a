import { NEWER_VALUES } from '../../../src/api/release.js';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { DEPRECATED_VALUES } from '../../../src/api/deprecated.js';
import type { JSONSchemaProps } from '../../../src/api/schema/props.js';
import { valuesSchema } from '../../../src/api/schema/values.js';
import { ensureBinaries } from '../../../src/cluster/binaries.js';
import { generateIstioOperator, PROFILE_NAMES } from '../../../src/profiles/index.js';
import { ROOT } from '../../support/cli.js';

const run = promisify(execFile);

/**
 * Fixtures where this operator deliberately differs from istioctl 1.27.
 * Every other fixture must get the same verdict from both.
 */
const WE_REJECT_ISTIOCTL_ACCEPTS: Record<string, string> = {
  'bad-component-hub.yaml': 'istioctl checks only spec.hub; a hub with a space never pulls',
  'bad-revision-uppercase.yaml': 'object names with upper case letters fail at apply time',
  'duplicate-gateway-names.yaml': 'two gateways with one name render the same objects',
  'float-tag.yaml': 'tag is int-or-string; a float loses digits (1.20 → "1.2")',
  'k8s-bad-pull-policy.yaml': 'the API server rejects it at apply time',
  'k8s-service-port-missing.yaml': 'the API server rejects it at apply time',
  'k8s-service-port-out-of-range.yaml': 'the API server rejects it at apply time',
  'wrong-kind.yaml': 'istioctl ignores kind',
};
const WE_ACCEPT_ISTIOCTL_REJECTS: Record<string, string> = {
  'legacy-123-moved-conflict.yaml': '1.23-era values are accepted with warnings',
  'legacy-123-moved-values.yaml': '1.23-era values are moved to meshConfig with warnings',
  'legacy-123-no-effect.yaml': '1.23-era values are accepted with warnings',
};

describe('conformance with istioctl 1.27 (the oracle)', function () {
  this.timeout(30 * 60_000); // the first run builds istioctl
  let istioctl: string;
  let dir: string;

  before(async () => {
    istioctl = (await ensureBinaries(['istioctl'])).istioctl;
    dir = await mkdtemp(join(tmpdir(), 'iop-oracle-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function istioctlAccepts(file: string): Promise<{ ok: boolean; error: string }> {
    try {
      await run(istioctl, ['manifest', 'generate', '-f', file], { maxBuffer: 64 << 20 });
      return { ok: true, error: '' };
    } catch (e) {
      return { ok: false, error: String((e as { stderr?: string }).stderr ?? e).split('\n')[0]! };
    }
  }

  function weAccept(name: string, content: string): boolean {
    try {
      generateIstioOperator({ files: [{ name, content }], set: [] });
      return true;
    } catch {
      return false;
    }
  }

  for (const kind of ['valid', 'invalid'] as const) {
    it(`gives the same verdict as istioctl on every ${kind} fixture, except the documented differences`, async () => {
      const folder = join(ROOT, 'test', 'fixtures', kind);
      const differences: string[] = [];
      for (const name of (await readdir(folder)).filter((f) => f.endsWith('.yaml')).sort()) {
        const file = join(folder, name);
        const ours = weAccept(name, readFileSync(file, 'utf8'));
        const theirs = await istioctlAccepts(file);
        const expectedDifference =
          (!ours && theirs.ok && name in WE_REJECT_ISTIOCTL_ACCEPTS) ||
          (ours && !theirs.ok && name in WE_ACCEPT_ISTIOCTL_REJECTS);
        if (ours !== theirs.ok && !expectedDifference) {
          differences.push(
            `${name}: we ${ours ? 'accept' : 'reject'}, istioctl ${theirs.ok ? 'accepts' : `rejects (${theirs.error})`}`,
          );
        }
        if (
          ours === theirs.ok &&
          (name in WE_REJECT_ISTIOCTL_ACCEPTS || name in WE_ACCEPT_ISTIOCTL_REJECTS)
        ) {
          differences.push(
            `${name}: listed as a difference but both ${ours ? 'accept' : 'reject'}`,
          );
        }
      }
      assert.deepEqual(differences, []);
    });
  }

  // --set flags, with the verdict both must give (true = accepted).
  const SET_FLAGS: [string, boolean][] = [
    ['values.global.logAsJson=true', true],
    ['values.global.proxy.includeIPRanges=10.0.0.0/8\\,172.16.0.0/12', true],
    ['values.global.proxy.excludeInboundPorts=15020\\,70000', false],
    ['components.ingressGateways[0].enabled=false', true],
    ['components.ingressGateways[0].k8s.service.type=NodePort', true],
    ['components.ingressGateways[name:istio-ingressgateway].k8s.replicaCount=2', false],
    ['values.pilot.autoscaleEnabled=maybe', false],
    ['values.pilot.autoscaleMin=two', false],
    ['values.pilot.traceSampling=0.5', true],
    ['values.pilots.x=1', false],
    ['revision=canary', true],
    ['revision=Bad_Rev', false],
    ['meshConfig.defaultConfig.proxyMetadata.FOO=1', true],
    ['tag=1.27.0', true],
    ['profile=ambient', true],
    ['profile=nope', false],
    ['values.pilot.podAnnotations.example\\.com/x=y', true],
    ['components.cni.enabled=true', true],
    ['components.pilot.k8s.hpaSpec.maxReplicas=3', true],
    ['components.pilot.k8s.env[0].name=A', true],
    ['installPackagePath=/tmp/x', false],
  ];

  it('gives the same verdict as istioctl on --set flags', async () => {
    const differences: string[] = [];
    for (const [flag, want] of SET_FLAGS) {
      let ours = true;
      try {
        generateIstioOperator({ files: [], set: [flag] });
      } catch {
        ours = false;
      }
      let theirs = true;
      try {
        await run(istioctl, ['manifest', 'generate', '--set', flag], { maxBuffer: 64 << 20 });
      } catch {
        theirs = false;
      }
      if (ours !== want || theirs !== want) {
        differences.push(
          `${flag}: expected ${want ? 'accept' : 'reject'}, we ${ours}, istioctl ${theirs}`,
        );
      }
    }
    assert.deepEqual(differences, []);
  });

  /** One `--set` flag per leaf of the values schema, with a value of the right type. */
  function valuesProbes(): { path: string; flag: string }[] {
    const out: { path: string; flag: string }[] = [];
    const sample = (s: JSONSchemaProps): string =>
      s.type === 'boolean'
        ? 'true'
        : s.type === 'integer' || s.type === 'number'
          ? '1'
          : s.enum
            ? String(s.enum[1] ?? s.enum[0])
            : 'x';
    const walk = (s: JSONSchemaProps, path: string) => {
      if (s.properties) {
        for (const [k, v] of Object.entries(s.properties)) walk(v, `${path}.${k}`);
      } else if (s.type === 'array') {
        const item = s.items!;
        const first = item.properties ? Object.entries(item.properties)[0] : undefined;
        out.push({
          path,
          flag: first ? `${path}[0].${first[0]}=${sample(first[1])}` : `${path}[0]=${sample(item)}`,
        });
      } else if (s.additionalProperties) {
        out.push({ path, flag: `${path}.k=${sample(s.additionalProperties)}` });
      } else if (s.type === 'object' || (s['x-kubernetes-preserve-unknown-fields'] && !s.type)) {
        // Free-form: any key must pass our schema; istioctl may type it (k8s objects), so skip.
      } else {
        out.push({ path, flag: `${path}=${sample(s)}` });
      }
    };
    walk(valuesSchema, 'values');
    return out;
  }

  it('knows exactly the values keys istioctl 1.27 knows, plus the deprecated 1.23-era ones and those of newer lines', async function () {
    this.timeout(5 * 60_000); // ~320 istioctl runs, 8 at a time
    const deprecated = DEPRECATED_VALUES.map((d) => d.path.join('.'));
    // Keys of 1.28+ (accepted for those lines only, api/release.ts): unknown to istioctl 1.27.
    const newer = NEWER_VALUES.map((n) => `values.${n.path.join('.')}`);
    const probes = valuesProbes();
    assert.ok(probes.length > 250, `only ${probes.length} probes`);
    const unexpected: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < probes.length) {
        const probe = probes[next++]!;
        try {
          await run(istioctl, ['manifest', 'generate', '--set', probe.flag], {
            maxBuffer: 64 << 20,
          });
        } catch (e) {
          const err = String((e as { stderr?: string }).stderr ?? e);
          const unknown = /unknown field "([^"]+)" in istio\.operator\.v1alpha1\./.exec(err);
          const isDeprecated = [...deprecated, ...newer].some(
            (d) => probe.path === d || probe.path.startsWith(`${d}.`),
          );
          if (unknown && !isDeprecated) unexpected.push(`${probe.flag}: ${err.split('\n')[0]}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    assert.deepEqual(unexpected.sort(), []);
  });

  it('istioctl accepts the merged IstioOperator of every built-in profile', async () => {
    const rejected: string[] = [];
    for (const profile of PROFILE_NAMES) {
      const { iop } = generateIstioOperator({ files: [], set: [], profile });
      const file = join(dir, `${profile}.yaml`);
      await writeFile(file, yaml.dump(iop));
      const r = await istioctlAccepts(file);
      if (!r.ok) rejected.push(`${profile}: ${r.error}`);
    }
    assert.deepEqual(rejected, []);
  });
});
