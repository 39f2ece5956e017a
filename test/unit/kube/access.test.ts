import { build } from 'esbuild';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import {
  fromKubeconfig,
  inClusterConfig,
  LightKubeConfig,
  UnsupportedKubeconfig,
} from '../../../src/kube/access.js';
import { loadKubeConfig } from '../../../src/kube/config.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A kubeconfig with one context per user given, all on one cluster. */
function kubeconfig(
  users: Record<string, Record<string, unknown>>,
  cluster: Record<string, unknown> = { server: 'https://127.0.0.1:6443/' },
): Record<string, unknown> {
  const names = Object.keys(users);
  return {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': names[0],
    clusters: [{ name: 'c', cluster }],
    users: names.map((name) => ({ name, user: users[name] })),
    contexts: names.map((name) => ({ name, context: { cluster: 'c', user: name } })),
  };
}

async function optionsOf(access: { applyToHTTPSOptions(o: RequestOptions): Promise<void> }) {
  const opts: RequestOptions = { headers: { Accept: 'application/json' } };
  await access.applyToHTTPSOptions(opts);
  return opts;
}

describe('kubeconfig access without client-node', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'access-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('applies inline client certificates, CA, server name and the insecure flag', async () => {
    const doc = kubeconfig(
      { admin: { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') } },
      {
        server: 'https://127.0.0.1:6443/',
        'certificate-authority-data': b64('CA'),
        'tls-server-name': 'kubernetes',
        'insecure-skip-tls-verify': true,
      },
    );
    const { access } = fromKubeconfig(doc, join(dir, 'config'));
    assert.ok(access);
    assert.deepEqual(access.getCurrentCluster(), { name: 'c', server: 'https://127.0.0.1:6443' });
    const opts = await optionsOf(access);
    assert.equal(String(opts.ca), 'CA');
    assert.equal(String(opts.cert), 'CERT');
    assert.equal(String(opts.key), 'KEY');
    assert.equal(opts.servername, 'kubernetes');
    assert.equal(opts.rejectUnauthorized, false);
    assert.equal(opts.agent, undefined, 'connection reuse is left to the caller');
    assert.deepEqual(opts.headers, { Accept: 'application/json' }, 'no token, no header');
  });

  it('resolves file paths from the kubeconfig folder and sends bearer tokens', async () => {
    writeFileSync(join(dir, 'ca.crt'), 'CA-FILE');
    writeFileSync(join(dir, 'token'), 'from-file\n');
    const doc = kubeconfig(
      { inline: { token: 'inline-token' }, file: { tokenFile: 'token' } },
      { server: 'https://h:1', 'certificate-authority': 'ca.crt' },
    );
    const inline = fromKubeconfig(doc, join(dir, 'config')).access!;
    const opts = await optionsOf(inline);
    assert.equal(String(opts.ca), 'CA-FILE');
    assert.equal((opts.headers as Record<string, string>).Authorization, 'Bearer inline-token');
    const file = fromKubeconfig(doc, join(dir, 'config'), 'file').access!;
    assert.equal(
      ((await optionsOf(file)).headers as Record<string, string>).Authorization,
      'Bearer from-file',
    );
  });

  it('reads rotated token files again after a minute, not on every request', async () => {
    const token = join(dir, 'token');
    writeFileSync(token, 'first');
    let now = 1_000_000;
    const access = new LightKubeConfig(
      { name: 'c', server: 'https://h:1', skipTLSVerify: false },
      { tokenFile: token },
      () => now,
    );
    const auth = async () =>
      ((await optionsOf(access)).headers as Record<string, string>).Authorization;
    assert.equal(await auth(), 'Bearer first');
    writeFileSync(token, 'second');
    now += 59_000;
    assert.equal(await auth(), 'Bearer first');
    now += 2_000;
    assert.equal(await auth(), 'Bearer second');
  });

  it('leaves exec plugins, auth providers, basic auth, impersonation and proxies to client-node', () => {
    const unsupported: [string, Record<string, unknown>, Record<string, unknown>?][] = [
      ['exec', { exec: { command: 'aws', apiVersion: 'client.authentication.k8s.io/v1' } }],
      ['auth-provider', { 'auth-provider': { name: 'oidc' } }],
      ['basic auth', { username: 'u', password: 'p' }],
      ['impersonation', { token: 't', as: 'someone' }],
      ['token-file spelling of client-node', { 'token-file': '/t' }],
      ['proxy', { token: 't' }, { server: 'https://h:1', 'proxy-url': 'http://proxy:3128' }],
    ];
    for (const [what, user, cluster] of unsupported) {
      assert.throws(
        () => fromKubeconfig(kubeconfig({ u: user }, cluster), '/x/config'),
        UnsupportedKubeconfig,
        what,
      );
    }
  });

  it('picks the --context given, and lists the contexts when it does not exist', () => {
    const doc = kubeconfig({ one: { token: '1' }, two: { token: '2' } });
    assert.ok(fromKubeconfig(doc, '/x/config', 'two').access);
    const missing = fromKubeconfig(doc, '/x/config', 'three');
    assert.equal(missing.access, undefined);
    assert.deepEqual(missing.contexts, ['one', 'two']);
  });

  it('builds the in-cluster configuration from the service account kubelet mounts', async () => {
    writeFileSync(join(dir, 'token'), 'sa-token');
    writeFileSync(join(dir, 'ca.crt'), 'SA-CA');
    const env = { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' };
    const access = inClusterConfig(env, dir);
    assert.ok(access);
    assert.equal(access.getCurrentCluster().server, 'https://[fd00::1]:443');
    const opts = await optionsOf(access);
    assert.equal(String(opts.ca), 'SA-CA');
    assert.equal((opts.headers as Record<string, string>).Authorization, 'Bearer sa-token');
    assert.equal(inClusterConfig({}, dir), undefined, 'outside a pod');
    assert.equal(inClusterConfig(env, join(dir, 'nothing')), undefined, 'no token mounted');
  });

  describe('loadKubeConfig', () => {
    let saved: string | undefined;
    beforeEach(() => {
      saved = process.env.KUBECONFIG;
    });
    afterEach(() => {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    });

    // By class name: mocha's loader and the on-demand import may hold two
    // instances of client-node's module, so instanceof would not tell.
    const kind = (kc: object) => kc.constructor.name;
    const write = (name: string, doc: unknown) => {
      const file = join(dir, name);
      writeFileSync(file, yaml.dump(doc));
      return file;
    };

    it('uses its own loader for certificates and tokens, client-node for the rest', async () => {
      const plain = write('plain', kubeconfig({ u: { token: 't' } }));
      const exec = write('exec', kubeconfig({ u: { exec: { command: 'true' } } }));
      assert.equal(kind(await loadKubeConfig({ kubeconfig: plain })), 'LightKubeConfig');
      assert.equal(kind(await loadKubeConfig({ kubeconfig: exec })), 'KubeConfig');
      process.env.KUBECONFIG = plain;
      assert.equal(kind(await loadKubeConfig({})), 'LightKubeConfig');
      // Several files are merged by client-node, as before.
      const other = write('other', {
        ...kubeconfig({ v: { token: 'v' } }),
        clusters: [{ name: 'd', cluster: { server: 'https://d:1' } }],
        contexts: [{ name: 'v', context: { cluster: 'd', user: 'v' } }],
      });
      process.env.KUBECONFIG = `${plain}:${other}`;
      const merged = await loadKubeConfig({});
      assert.equal(kind(merged), 'KubeConfig');
      const contexts = (merged as unknown as { getContexts(): { name: string }[] }).getContexts();
      assert.deepEqual(
        contexts.map((c) => c.name),
        ['u', 'v'],
      );
    });

    it('fails naming --kubeconfig, KUBECONFIG and in-cluster when there is no kubeconfig (never localhost:8080)', async () => {
      const home = process.env.HOME;
      delete process.env.KUBECONFIG;
      process.env.HOME = join(dir, 'empty-home');
      try {
        // client-node would have answered with a localhost:8080 cluster here, and
        // every request would then fail with a TLS complaint naming nothing the user set.
        await assert.rejects(
          loadKubeConfig({}),
          /no kubeconfig found: KUBECONFIG is not set, .*empty-home\/\.kube\/config does not exist, and this is not a pod \(no in-cluster service account\)\. Pass --kubeconfig PATH or set KUBECONFIG/,
        );
        await assert.rejects(
          loadKubeConfig({ context: 'c' }),
          /no kubeconfig found for --context c/,
        );
      } finally {
        process.env.HOME = home;
      }
    });

    it('names the file and the flag when the kubeconfig given does not exist', async () => {
      const missing = join(dir, 'missing', 'config');
      await assert.rejects(loadKubeConfig({ kubeconfig: missing }), {
        message: `--kubeconfig ${missing}: cannot read the kubeconfig (no such file): pass --kubeconfig PATH or set KUBECONFIG to an existing file`,
      });
      process.env.KUBECONFIG = missing;
      await assert.rejects(
        loadKubeConfig({}),
        new RegExp(`^Error: KUBECONFIG ${missing}: cannot read`),
      );
    });

    it('names the contexts there are when --context names none, on either path', async () => {
      const plain = write('plain', kubeconfig({ a: { token: 't' } }));
      const exec = write('exec', kubeconfig({ b: { exec: { command: 'true' } } }));
      await assert.rejects(loadKubeConfig({ kubeconfig: plain, context: 'zz' }), {
        message: '--context: no context "zz" in the kubeconfig (it has: a)',
      });
      await assert.rejects(loadKubeConfig({ kubeconfig: exec, context: 'zz' }), {
        message: '--context: no context "zz" in the kubeconfig (it has: b)',
      });
    });
  });

  it('keeps client-node out of the operator: only its error class is imported, the rest on demand', async () => {
    // Everything `istio-operator run` loads, following the imports it makes on
    // demand inside the source tree; packages stay external and show up as edges.
    const result = await build({
      entryPoints: ['src/cli/commands/run.ts'],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      splitting: true,
      outdir: join(dir, 'out'),
      packages: 'external',
      logLevel: 'silent',
    });
    const edges = Object.entries(result.metafile.inputs).flatMap(([from, input]) =>
      input.imports
        .filter((i) => i.path.startsWith('@kubernetes/client-node'))
        .map((i) => `${from} -> ${i.path} (${i.kind})`),
    );
    assert.deepEqual(edges.sort(), [
      'src/kube/api-exception.ts -> @kubernetes/client-node/dist/gen/apis/exception.js (import-statement)',
      'src/kube/config.ts -> @kubernetes/client-node (dynamic-import)',
    ]);
  });
});
