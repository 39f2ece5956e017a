import * as k8s from '@kubernetes/client-node';
import yaml from 'js-yaml';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { IstioOperator } from '../../../src/api/types.js';
import { WATCHED_KINDS } from '../../../src/apply/kinds.js';
import { writtenByOperator } from '../../../src/apply/live.js';
import { ensureBinaries } from '../../../src/cluster/binaries.js';
import { waitFor } from '../../../src/cluster/health.js';
import type { OperatorManager } from '../../../src/controller/manager.js';
import { render } from '../../../src/controller/desired.js';
import { isNotFound } from '../../../src/kube/errors.js';
import { generateIstioOperator } from '../../../src/profiles/index.js';
import { ROOT, runCli } from '../../support/cli.js';
import { useCluster } from '../../support/cluster.js';
import { deploymentRef, iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';
import { LABELS } from '../../../src/api/vocabulary.js';

const run = promisify(execFile);
const GROUP = 'install.istio.io';
const VERSION = 'v1alpha1';
const PLURAL = 'istiooperators';
const INVALID = join(ROOT, 'test', 'fixtures', 'invalid');
/** The namespace placeholder of the fixtures under live/. */
const PLACEHOLDER = 'reference-namespace';
/** How long an accepted bad IstioOperator may take to be reported Stalled. */
const STALLED_WITHIN_MS = 30_000;

type Obj = Record<string, unknown>;

/** One fixture file with its `# expect-…: <path> :: <message part>` header lines. */
interface Fixture {
  /** Path under test/fixtures/invalid, e.g. `render/overlay-wrong-kind.yaml`. */
  name: string;
  file: string;
  content: string;
  errors: { path: string; message: string }[];
  conflicts: { object: string; message: string }[];
}

function fixtures(sub = ''): Fixture[] {
  const dir = join(INVALID, sub);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const content = readFileSync(join(dir, f), 'utf8');
      const lines = (kind: string) =>
        [...content.matchAll(new RegExp(`^# expect-${kind}: (.+?) :: (.+)$`, 'gm'))].map(
          (m) => [m[1]!, m[2]!] as const,
        );
      return {
        name: sub ? `${sub}/${f}` : f,
        file: join(dir, f),
        content,
        errors: lines('error').map(([path, message]) => ({ path, message })),
        conflicts: lines('conflict').map(([object, message]) => ({ object, message })),
      };
    });
}

/** An object name for a fixture: `bad-` and the file name, as a DNS-1123 label. */
function objectName(f: Fixture): string {
  return `bad-${f.name.replace(/\.yaml$/, '').replace(/[^a-z0-9]+/g, '-')}`.slice(0, 63);
}

/** Field-path spellings of a validator path the API server may use (it writes `a.b` for `a["b"]`). */
function apiSpellings(path: string): string[] {
  const dotted = path.replace(/\["([^"]+)"\]/g, '.$1');
  return [...new Set([path, dotted])];
}

/**
 * Whether an API server rejection names the field: the full path, or — for
 * list rules, which the API server reports on the list — the list's path.
 */
function namesField(message: string, path: string): boolean {
  for (const p of apiSpellings(path)) {
    if (message.includes(p)) return true;
    const list = /^(.*)\[\d+\]\.[^.]+$/.exec(p)?.[1];
    if (list && message.includes(`${list}:`)) return true;
  }
  return false;
}

/** An owned object as recorded: its resourceVersion, and everything but what controllers update. */
interface Recorded {
  resourceVersion: string;
  /**
   * The object without status, resourceVersion and the status subresource's
   * managedFields: controllers (the HPA, the Deployment controller) write
   * status on their own schedule, bumping the resourceVersion; any write of
   * the operator's changes this (the object, or its field manager's entry).
   */
  content: string;
}

/** The objects the operator owns for IstioOperators in `ns`. */
async function ownedSnapshot(env: OperatorEnv, ns: string): Promise<Map<string, Recorded>> {
  const selector = `${LABELS.managed}=Reconcile,${LABELS.ownerNamespace}=${ns}`;
  const out = new Map<string, Recorded>();
  for (const w of WATCHED_KINDS) {
    let items: k8s.KubernetesObject[];
    try {
      items = await env.client.list(w, undefined, selector);
    } catch (e) {
      if (isNotFound(e)) continue; // a kind whose CRD is absent (NetworkAttachmentDefinition)
      throw e;
    }
    for (const o of items) {
      // Kubernetes derives objects from ours and copies our labels onto
      // them (the EndpointSlices of our Services); their controllers change
      // them as pods come and go. They are not the operator's.
      if (!writtenByOperator(o)) continue;
      const m = o.metadata!;
      const copy = structuredClone(o) as Obj & { metadata: k8s.V1ObjectMeta };
      delete copy.status;
      delete copy.metadata.resourceVersion;
      copy.metadata.managedFields = (m.managedFields ?? []).filter(
        (f) => f.subresource !== 'status',
      );
      out.set(
        `${w.kind} ${m.namespace ? `${m.namespace}/` : ''}${m.name} (owner ${m.labels?.[LABELS.owner]})`,
        { resourceVersion: m.resourceVersion!, content: JSON.stringify(copy) },
      );
    }
  }
  return out;
}

/** What was created, deleted or changed (other than in status) between two snapshots. */
function diffSnapshots(before: Map<string, Recorded>, after: Map<string, Recorded>): string[] {
  const out: string[] = [];
  for (const [k, b] of before) {
    const a = after.get(k);
    if (!a) out.push(`deleted: ${k}`);
    else if (a.content !== b.content) {
      out.push(`changed: ${k} (resourceVersion ${b.resourceVersion} → ${a.resourceVersion})`);
    }
  }
  for (const k of after.keys()) if (!before.has(k)) out.push(`created: ${k}`);
  return out;
}

/** How many owned objects kept their resourceVersion (the rest had status written by controllers). */
function unchangedVersions(before: Map<string, Recorded>, after: Map<string, Recorded>): number {
  let n = 0;
  for (const [k, b] of before) if (after.get(k)?.resourceVersion === b.resourceVersion) n++;
  return n;
}

describe('faults: bad input through the live path', function () {
  let env: OperatorEnv;
  let manager: OperatorManager;
  let custom: k8s.CustomObjectsApi;
  let kubectl: string;
  let kubeconfig: string;
  let ns: string;
  let tmp: string;
  /** The owned objects once the reference installation is healthy. */
  let baseline: Map<string, Recorded>;

  const getIop = (name: string) => env.getIop(ns, name);
  const create = (name: string, body: Obj) =>
    custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns,
      plural: PLURAL,
      // As kubectl sends it: unknown fields are errors, not silently pruned.
      fieldValidation: 'Strict',
      body: { ...body, metadata: { name, namespace: ns } },
    }) as Promise<Obj>;
  /** The API server's rejection of a create, or undefined when it was accepted. */
  const rejection = async (p: Promise<unknown>) => {
    try {
      await p;
      return undefined;
    } catch (e) {
      if (!(e instanceof k8s.ApiException)) throw e;
      const body = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as {
        message?: string;
      };
      return { code: e.code, message: body.message ?? String(e.body) };
    }
  };
  const stalled = (iop: IstioOperator) => {
    const c = iop.status?.conditions?.find((x) => x.type === 'Stalled');
    return c?.status === 'True' && c.observedGeneration === iop.metadata.generation ? c : undefined;
  };
  const healthy = async (name: string) => {
    const iop = await getIop(name);
    return (
      iop.status?.status === 'HEALTHY' && iop.status.observedGeneration === iop.metadata.generation
    );
  };
  const assertNothingOwnedChanged = async (when: string) => {
    const now = await ownedSnapshot(env, ns);
    assert.deepEqual(diffSnapshots(baseline, now), [], when);
    process.stderr.write(
      `      [bad input] ${when}: the same ${now.size} owned objects, ${unchangedVersions(baseline, now)} with the same resourceVersion (the others: status only)\n`,
    );
  };
  const settled = () =>
    waitFor('operator idle', async () => manager.isIdle(), 30_000, undefined, 50);

  before(async function () {
    this.timeout(30 * 60_000);
    env = await operatorEnv();
    custom = env.kc.makeApiClient(k8s.CustomObjectsApi);
    kubeconfig = (await useCluster()).kubeconfig;
    kubectl = (await ensureBinaries(['kubectl'])).kubectl;
    tmp = await mkdtemp(join(tmpdir(), 'bad-input-'));
    ns = await env.namespace('bad-input');
    manager = await env.startOperator([ns]);
    // The healthy reference installation every bad input lands next to.
    await env.client.apply({
      ...iopRef(ns, 'reference'),
      spec: {
        profile: 'minimal',
        namespace: ns,
        components: {
          ingressGateways: [{ name: 'istio-ingressgateway', enabled: true, namespace: ns }],
        },
      },
    });
    await waitFor('reference HEALTHY', () => healthy('reference'), 90_000, undefined, 200);
    await settled();
    baseline = await ownedSnapshot(env, ns);
    assert.ok(baseline.size >= 10, `only ${baseline.size} owned objects`);
  });

  after(async function () {
    this.timeout(90_000);
    // Uninstall the reference installation: the CRDs it owns are shared with
    // the test files that run after this one.
    if (env && ns) {
      await env.client.delete(iopRef(ns, 'reference')).catch(() => undefined);
      await env.uninstalled(ns, 'reference').catch(() => undefined);
    }
    await manager?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('has at least 40 invalid fixtures covering every category of the issue', () => {
    const top = fixtures();
    const all = [...top, ...fixtures('syntax'), ...fixtures('render'), ...fixtures('live')];
    assert.ok(all.length >= 40, `${all.length} fixtures`);
    for (const f of all) {
      assert.ok(f.errors.length + f.conflicts.length > 0, `${f.name} declares no expectation`);
    }
    const has = (re: RegExp) => all.filter((f) => re.test(f.name)).length;
    // syntax, wrong types, unknown fields, removed components, impossible
    // overlays, --set-style paths in values, conflicting gateways
    assert.ok(has(/^syntax\//) >= 5);
    assert.ok(has(/not-a-|-string|-list\.yaml|wrong-type|not-bool/) >= 5);
    assert.ok(has(/unknown/) >= 5);
    assert.ok(has(/^removed-/) >= 8);
    assert.ok(has(/^render\/overlay-/) >= 5);
    assert.ok(has(/set-style/) >= 4);
    assert.ok(has(/gateway/) >= 4 && has(/^live\/gateway/) >= 1);
  });

  /** `kubectl apply --dry-run=server` of a file in the test namespace: its stderr, '' when accepted. */
  const dryRunApply = (file: string): Promise<string> =>
    run(kubectl, [
      '--kubeconfig',
      kubeconfig,
      'apply',
      '--dry-run=server',
      '-n',
      ns,
      '-f',
      file,
    ]).then(
      () => '',
      (e: { stderr?: string }) => String(e.stderr ?? e),
    );

  it('stops syntactically broken YAML before the API server: kubectl and validate name the line', async () => {
    const broken = fixtures('syntax');
    const laxer: string[] = [];
    const r = await runCli(['validate', ...broken.flatMap((f) => ['-f', f.file])]);
    assert.equal(r.code, 1, r.stderr);
    for (const f of broken) {
      // Our validator: the file, what is wrong, and line:column.
      const want = f.errors[0]!;
      const line = new RegExp(
        `${want.path.replace(/\./g, '\\.')}: not valid YAML: .*\\((\\d+):(\\d+)\\)`,
      ).exec(r.stderr);
      assert.ok(line, `validate on ${f.name}:\n${r.stderr}`);
      assert.ok(r.stderr.includes(want.message), `${f.name}: ${want.message}`);
      // kubectl parses before it sends anything, and names the line too —
      // except where its YAML parser is laxer (declared in the fixture).
      const kubectlError = await dryRunApply(f.file);
      if (/^# kubectl-parses: /m.test(f.content)) {
        // It got past parsing: what stops it here is only the missing name.
        assert.match(kubectlError, /resource name may not be empty/, `kubectl on ${f.name}`);
        assert.doesNotMatch(kubectlError, /yaml:/, `kubectl on ${f.name}`);
        laxer.push(f.name);
      } else {
        assert.match(kubectlError, /yaml: line \d+/, `kubectl on ${f.name}: ${kubectlError}`);
      }
    }
    process.stderr.write(
      `      [bad input] ${broken.length} broken YAML files: validate names line:column in each; kubectl names the line in ${broken.length - laxer.length} (it parses ${laxer.join(', ') || 'none'})\n`,
    );
  });

  it('shows that the file-level fixtures are about files: kubectl rejects another kind, and two documents are two objects', async () => {
    const wrongKind = fixtures().find((f) => f.name === 'wrong-kind.yaml')!;
    const doc = yaml.load(wrongKind.content) as Obj;
    const file = join(tmp, 'wrong-kind.yaml');
    await writeFile(file, yaml.dump({ ...doc, metadata: { name: 'wrong-kind' } }));
    const out = await dryRunApply(file);
    assert.match(out, /no matches for kind "IstioOperatorConfig"/);
    // Two documents: the CLI takes one IstioOperator per file, while each
    // document alone is a valid IstioOperator (so the API server would take
    // both); the rule is the CLI's, and validate enforces it.
    const two = fixtures().find((f) => f.name === 'two-documents.yaml')!;
    const docs = yaml.loadAll(two.content) as Obj[];
    assert.equal(docs.length, 2);
    for (const d of docs) {
      generateIstioOperator({ files: [{ name: 'one', content: yaml.dump(d) }], set: [] });
    }
    const r = await runCli(['validate', '-f', two.file]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /two-documents\.yaml: contains 2 documents; only one IstioOperator per file is supported/,
    );
  });

  it('rejects every other invalid fixture at admission naming the field, or reports it Stalled with the field path, and changes no owned object', async function () {
    this.timeout(240_000);
    const isFileLevel = (f: Fixture) => f.errors.some((e) => /\.yaml(:|$)/.test(e.path));
    const cases = [...fixtures(), ...fixtures('render'), ...fixtures('live')].filter(
      (f) => !isFileLevel(f),
    );
    // The fixtures under render/ pass the validator and fail only at render time,
    // the ones under live/ are valid alone: check that before relying on it.
    for (const f of fixtures('render')) {
      const { iop } = generateIstioOperator({ files: [f], set: [] });
      assert.throws(
        () => render({ ...iop, metadata: { name: 'x', namespace: ns } }),
        (e: Error) =>
          f.errors.every((x) => e.message.includes(x.path) && e.message.includes(x.message)),
        f.name,
      );
    }
    const problems: string[] = [];
    const accepted: Fixture[] = [];
    const seen = { rejected: 0, stalled: 0 };
    await Promise.all(
      cases.map(async (f) => {
        const text = f.content.replaceAll(PLACEHOLDER, ns);
        const doc = yaml.load(text) as Obj;
        const got = await rejection(create(objectName(f), doc));
        if (!got) {
          accepted.push(f);
          return;
        }
        seen.rejected++;
        if (got.code !== 400 && got.code !== 422) problems.push(`${f.name}: HTTP ${got.code}`);
        for (const e of f.errors) {
          if (!namesField(got.message, e.path)) {
            problems.push(`${f.name}: rejected without naming ${e.path}: ${got.message}`);
          }
        }
        if (f.conflicts.length) problems.push(`${f.name}: rejected, but it is valid alone`);
      }),
    );
    // Everything accepted is reported Stalled, naming the field (or the object in conflict).
    const pending = new Set(accepted.map((f) => f.name));
    const t0 = Date.now();
    await waitFor(
      'every accepted bad IstioOperator Stalled',
      async () => {
        for (const f of accepted) {
          if (!pending.has(f.name)) continue;
          const c = stalled(await getIop(objectName(f)));
          if (!c) continue;
          pending.delete(f.name);
          seen.stalled++;
          for (const e of f.errors) {
            if (!c.message.includes(e.path) || !c.message.includes(e.message)) {
              problems.push(
                `${f.name}: Stalled message lacks "${e.path}" / "${e.message}": ${c.message}`,
              );
            }
          }
          for (const x of f.conflicts) {
            const object = x.object.replaceAll(PLACEHOLDER, ns);
            const message = x.message.replaceAll(PLACEHOLDER, ns);
            if (!c.message.includes(`${object} ${message}`)) {
              problems.push(
                `${f.name}: Stalled message lacks "${object} ${message}": ${c.message}`,
              );
            }
          }
        }
        return pending.size === 0;
      },
      STALLED_WITHIN_MS + accepted.length * 500,
      undefined,
      250,
    ).catch((e: Error) => problems.push(`${e.message}: ${[...pending].join(', ')}`));
    process.stderr.write(
      `      [bad input] ${cases.length} fixtures: ${seen.rejected} rejected at admission, ${seen.stalled} Stalled (all within ${Date.now() - t0} ms)\n`,
    );
    assert.deepEqual(problems, []);
    // Both paths are exercised, so neither half of the claim is vacuous.
    assert.ok(seen.rejected >= 25 && seen.stalled >= 15, JSON.stringify(seen));

    await settled();
    await assertNothingOwnedChanged('after the bad IstioOperators were processed');
    // Deleting them (the finalizer runs) changes nothing owned either.
    await Promise.all(accepted.map((f) => env.client.delete(iopRef(ns, objectName(f)))));
    await waitFor(
      'bad IstioOperators gone',
      async () => {
        for (const f of accepted) if (await env.exists(iopRef(ns, objectName(f)))) return false;
        return true;
      },
      60_000,
      undefined,
      250,
    );
    await settled();
    await assertNothingOwnedChanged('after they were deleted');
  });

  it('handles 1 MiB inputs within a bounded time: rejected at admission naming the field, or Stalled with a bounded message', async function () {
    this.timeout(120_000);
    const MiB = 1 << 20;
    // Accepted by the API server (a string), refused by the operator: a
    // million characters of addresses without prefix lengths.
    const entries: string[] = [];
    for (let i = 0; entries.join(',').length < MiB; i++) {
      for (let j = 0; j < 1000; j++) entries.push(`10.${(i >> 8) & 255}.${i & 255}.${j % 256}`);
    }
    const ranges = entries.join(',');
    assert.ok(ranges.length >= MiB);
    let t0 = Date.now();
    await create('huge-ip-ranges', {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'IstioOperator',
      spec: { profile: 'minimal', values: { global: { proxy: { includeIPRanges: ranges } } } },
    });
    const created = Date.now() - t0;
    t0 = Date.now();
    let condition: { message: string } | undefined;
    await waitFor(
      'huge IstioOperator Stalled',
      async () => !!(condition = stalled(await getIop('huge-ip-ranges'))),
      STALLED_WITHIN_MS,
      undefined,
      200,
    );
    const stalledMs = Date.now() - t0;
    assert.match(
      condition!.message,
      /spec\.values\.global\.proxy\.includeIPRanges: .*not a CIDR: 10\.0\.0\.0, /,
    );
    assert.ok(condition!.message.length < 4096, `a ${condition!.message.length}-character message`);

    // Refused at admission: a 1 MiB value under a key that does not exist.
    t0 = Date.now();
    const got = await rejection(
      create('huge-unknown-key', {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'IstioOperator',
        spec: { values: { pilot: { notAField: 'x'.repeat(MiB) } } },
      }),
    );
    const rejectedMs = Date.now() - t0;
    assert.ok(got, 'accepted');
    assert.match(got.message, /unknown field "spec\.values\.pilot\.notAField"/);
    process.stderr.write(
      `      [bad input] 1 MiB includeIPRanges: created in ${created} ms, Stalled ${stalledMs} ms later; 1 MiB unknown field rejected in ${rejectedMs} ms\n`,
    );

    await env.client.delete(iopRef(ns, 'huge-ip-ranges'));
    await env.uninstalled(ns, 'huge-ip-ranges', 30_000);
    await settled();
    await assertNothingOwnedChanged('after the 1 MiB inputs');
  });

  it('still reconciles the reference IstioOperator afterwards', async function () {
    this.timeout(120_000);
    const t0 = Date.now();
    await env.client.apply({
      ...iopRef(ns, 'reference'),
      spec: {
        profile: 'minimal',
        namespace: ns,
        components: {
          pilot: { k8s: { env: [{ name: 'AFTER_BAD_INPUT', value: 'true' }] } },
          ingressGateways: [{ name: 'istio-ingressgateway', enabled: true, namespace: ns }],
        },
      },
    });
    await waitFor(
      'the change applied and HEALTHY',
      async () => {
        const d = (await env.client.get(deploymentRef(ns, 'istiod'))) as k8s.V1Deployment;
        const env_ = d.spec?.template.spec?.containers[0]?.env ?? [];
        return env_.some((e) => e.name === 'AFTER_BAD_INPUT') && (await healthy('reference'));
      },
      60_000,
      undefined,
      200,
    );
    process.stderr.write(
      `      [bad input] reference change reconciled in ${Date.now() - t0} ms\n`,
    );
    // The snapshot sees an operator write: the comparisons above could fail.
    const changed = diffSnapshots(baseline, await ownedSnapshot(env, ns));
    assert.ok(
      changed.some((c) => c.startsWith(`changed: Deployment ${ns}/istiod `)),
      changed.join('\n'),
    );
  });
});
