import type * as k8s from '@kubernetes/client-node';
import yaml from 'js-yaml';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import type { IstioOperator } from '../../../src/api/types.js';
import { waitFor } from '../../../src/cluster/health.js';
import { operatorClusterRules } from '../../../src/install/rbac.js';
import { kubeRequest } from '../../../src/kube/request.js';
import { configureLogger, logger } from '../../../src/log/logger.js';
import { spawnCli } from '../../support/cli.js';
import { useCluster } from '../../support/cluster.js';
import { iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';

/** A kubeconfig as YAML holds it (only what this test reads and writes). */
interface Kubeconfig {
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { name: string; user: Record<string, string> }[];
}

/** Base64 of a string, as Secret data and kubeconfig *-data fields hold it. */
const b64 = (s: string) => Buffer.from(s).toString('base64');

/**
 * What must never appear in a log: each needle with what it is. A PEM's
 * body is matched line by line, so a key logged in any piece is found.
 */
type Needles = { what: string; text: string }[];

function pemLines(what: string, pem: string): Needles {
  return pem
    .split('\n')
    .filter((l) => l.length >= 40 && !l.startsWith('-----'))
    .map((text, i) => ({ what: `${what} line ${i + 1}`, text }));
}

/** Every leak found in `log`: needles, PEM headers, bearer tokens and JWTs. */
function leaks(log: string, needles: Needles): string[] {
  const found = needles.filter((n) => log.includes(n.text)).map((n) => n.what);
  for (const [what, re] of [
    ['a PEM block', /-----BEGIN [A-Z ]+-----/],
    ['a bearer token', /bearer\s+[\w.~+/-]{8,}/i],
    ['an authorization header', /authorization["']?\s*[:=]/i],
    ['a JWT', /eyJ[\w-]{8,}\.eyJ[\w-]{8,}/],
  ] as const) {
    const m = re.exec(log);
    if (m) found.push(`${what}: …${log.slice(Math.max(0, m.index - 80), m.index + 80)}…`);
  }
  return found;
}

/** A spawned `istio-operator run`, its stdout and stderr captured together. */
function spawnRun(kubeconfig: string, namespace: string) {
  const p = spawnCli([
    '--log-level',
    'debug',
    '--log-format',
    'json',
    'run',
    '--kubeconfig',
    kubeconfig,
    '--watch-namespaces',
    namespace,
    '--health-addr',
    '',
    '--metrics-addr',
    '',
  ]);
  let output = '';
  p.stdout.on('data', (c: Buffer) => (output += c.toString()));
  p.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((r) => p.on('exit', r));
  return {
    output: () => output,
    stop: async () => {
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
      return output;
    },
  };
}

describe('faults: logs never contain credentials or Secret data', function () {
  let env: OperatorEnv;
  let dir: string;
  let kubeconfigPath: string;
  let config: Kubeconfig;
  /** Everything that must not be logged. */
  const needles: Needles = [];
  const sentinel = `do-not-log-${randomBytes(12).toString('hex')}`;
  const caKey =
    '-----BEGIN RSA PRIVATE KEY-----\n' +
    `${randomBytes(48).toString('base64')}\n${sentinel}\n` +
    '-----END RSA PRIVATE KEY-----\n';

  before(async function () {
    this.timeout(30 * 60_000);
    env = await operatorEnv();
    kubeconfigPath = (await useCluster()).kubeconfig;
    config = yaml.load(readFileSync(kubeconfigPath, 'utf8')) as Kubeconfig;
    dir = await mkdtemp(join(tmpdir(), 'secrets-in-logs-'));
    // The admin kubeconfig's credentials, both as stored and decoded.
    for (const u of config.users) {
      for (const [k, v] of Object.entries(u.user)) {
        if (k.endsWith('-data')) needles.push({ what: `kubeconfig ${k}`, text: v });
        if (k === 'client-key-data') {
          needles.push(...pemLines('the client key', Buffer.from(v, 'base64').toString()));
        }
        if (k === 'token') needles.push({ what: 'kubeconfig token', text: v });
      }
    }
    assert.ok(
      needles.some((n) => n.what === 'kubeconfig client-key-data'),
      'the admin kubeconfig has a client key to look for',
    );
    // The search finds them where they are: in the kubeconfig itself.
    const inKubeconfig = leaks(readFileSync(kubeconfigPath, 'utf8'), needles);
    assert.ok(inKubeconfig.includes('kubeconfig client-key-data'), inKubeconfig.join('\n'));
    const key = Buffer.from(config.users[0]!.user['client-key-data']!, 'base64').toString();
    assert.ok(leaks(key, needles).includes('the client key line 1'));
    assert.ok(leaks(caKey, []).some((l) => l.startsWith('a PEM block')));
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A Secret with recognizable data next to the installation (istiod's plug-in CA Secret). */
  async function plantSecrets(ns: string): Promise<void> {
    for (const namespace of ['istio-system', ns]) {
      await env.client.apply({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: namespace },
      });
      await kubeRequest(env.kc, 'POST', `/api/v1/namespaces/${namespace}/secrets`, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: `cacerts-${randomBytes(3).toString('hex')}` },
        data: { 'ca-key.pem': b64(caKey), token: b64(sentinel) },
      });
    }
    needles.push(
      { what: 'the Secret value', text: sentinel },
      { what: 'the Secret value, base64', text: b64(sentinel) },
      { what: 'the Secret PEM, base64', text: b64(caKey) },
      ...pemLines('the Secret PEM', caKey),
    );
  }

  /**
   * Install, a spec whose apply the API server refuses (an error path), a
   * fix, uninstall: the lines a reconcile logs, including its failures.
   */
  async function installAndUninstall(ns: string): Promise<string> {
    const spec = (extra: object = {}) => ({ profile: 'minimal', namespace: ns, ...extra });
    /** What the operator wrote for users to read besides logs: status, then Events. */
    let written = '';
    const state = async () => {
      const status = ((await env.client.get(iopRef(ns, 'cp'))) as unknown as IstioOperator).status;
      written += `${JSON.stringify(status)}\n`;
      return status;
    };
    await env.client.apply({ ...iopRef(ns, 'cp'), spec: spec() });
    await waitFor(
      'HEALTHY',
      async () => (await state())?.status === 'HEALTHY',
      90_000,
      undefined,
      200,
    );
    // The API server rejects a Deployment whose replicas is a string.
    await env.client.apply({
      ...iopRef(ns, 'cp'),
      spec: spec({
        components: {
          pilot: {
            k8s: {
              overlays: [
                {
                  kind: 'Deployment',
                  name: 'istiod',
                  patches: [{ path: 'spec.replicas', value: 'three' }],
                },
              ],
            },
          },
        },
      }),
    });
    await waitFor(
      'apply failure reported',
      async () => (await state())?.status === 'ERROR',
      30_000,
      undefined,
      200,
    );
    await env.client.apply({ ...iopRef(ns, 'cp'), spec: spec() });
    await waitFor(
      'HEALTHY again',
      async () => (await state())?.status === 'HEALTHY',
      60_000,
      undefined,
      200,
    );
    await env.client.delete(iopRef(ns, 'cp'));
    await env.uninstalled(ns, 'cp', 60_000);
    const events = await env.client.list<k8s.CoreV1Event>(
      { apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true },
      ns,
    );
    for (const e of events) written += `${e.reason}: ${e.message}\n`;
    return written;
  }

  it('an in-process operator at debug level logs none of them across install, failure and uninstall', async function () {
    this.timeout(240_000);
    const ns = await env.namespace('secrets-inproc');
    await plantSecrets(ns);
    let captured = '';
    const sink = new winston.transports.Stream({
      stream: new Writable({
        write(chunk: Buffer, _enc, done) {
          captured += chunk.toString();
          done();
        },
      }),
    });
    configureLogger({ level: 'debug', format: 'json' });
    logger.add(sink);
    const manager = await env.startOperator([ns]);
    let written = '';
    try {
      written = await installAndUninstall(ns);
    } finally {
      await manager.stop();
      logger.remove(sink);
      configureLogger({ level: 'info' });
    }
    // The capture holds the reconcile's own lines, its failure included (not vacuous).
    assert.match(captured, /"message":"applied"/);
    assert.match(captured, /"level":"debug"/);
    assert.match(captured, /"message":"apply failed"/);
    assert.match(captured, /"message":"uninstalled; finalizer removed"/);
    process.stderr.write(
      `      [secrets] in-process: ${captured.split('\n').length} log lines, ${needles.length} needles\n`,
    );
    assert.deepEqual(leaks(captured, needles), []);
    // Nor do the status and Events it wrote (the failure's message among them).
    assert.match(written, /Failed: Pilot: apply Deployment/);
    assert.deepEqual(leaks(written, needles), []);
  });

  it('`istio-operator run` at debug level, with a bearer token of its own RBAC, logs none of them', async function () {
    this.timeout(240_000);
    const ns = await env.namespace('secrets-run');
    await plantSecrets(ns);
    // The operator's own ClusterRole, bound to a ServiceAccount whose token it uses.
    const name = `istio-operator-${randomBytes(3).toString('hex')}`;
    await env.client.apply({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name, namespace: ns },
    });
    await env.client.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      rules: operatorClusterRules(),
    } as k8s.KubernetesObject);
    await env.client.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
    } as k8s.KubernetesObject);
    const tr = JSON.parse(
      (
        await kubeRequest(
          env.kc,
          'POST',
          `/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`,
          {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenRequest',
            spec: { expirationSeconds: 3600 },
          },
        )
      ).body,
    ) as { status: { token: string } };
    const token = tr.status.token;
    assert.ok(token.length > 100);
    needles.push({ what: 'the bearer token', text: token });
    needles.push(
      ...token.split('.').map((p, i) => ({ what: `bearer token part ${i + 1}`, text: p })),
    );
    const cluster = config.clusters[0]!;
    const tokenConfig = join(dir, 'token-kubeconfig');
    await writeFile(
      tokenConfig,
      yaml.dump({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [cluster],
        users: [{ name: 'operator', user: { token } }],
        contexts: [{ name: 'operator', context: { cluster: cluster.name, user: 'operator' } }],
        'current-context': 'operator',
      }),
    );
    const op = spawnRun(tokenConfig, ns);
    let output: string;
    let written = '';
    try {
      written = await installAndUninstall(ns);
    } finally {
      output = await op.stop();
    }
    assert.match(output, /"message":"applied"/);
    assert.match(output, /"level":"debug"/);
    assert.match(output, /"message":"apply failed"/);
    process.stderr.write(
      `      [secrets] run with a token: ${output.split('\n').length} log lines\n`,
    );
    assert.deepEqual(leaks(output, needles), []);
    assert.match(written, /Failed: Pilot: apply Deployment/);
    assert.deepEqual(leaks(written, needles), []);
  });

  it('`istio-operator run` refused (a wrong token, a client key that does not match its certificate) logs none of them', async function () {
    this.timeout(120_000);
    const ns = await env.namespace('secrets-refused');
    const cluster = config.clusters[0]!;
    const admin = config.users[0]!.user;
    const badToken = `${randomBytes(16).toString('hex')}.${randomBytes(16).toString('hex')}`;
    needles.push({ what: 'the refused token', text: badToken });
    const outputs: string[] = [];
    for (const [label, user] of [
      ['a wrong token', { token: badToken }],
      // A valid key with a certificate the API server's CA did not sign.
      [
        'a wrong client certificate',
        { ...admin, 'client-certificate-data': cluster.cluster['certificate-authority-data'] },
      ],
    ] as const) {
      const file = join(dir, `refused-${outputs.length}`);
      await writeFile(
        file,
        yaml.dump({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [cluster],
          users: [{ name: 'u', user }],
          contexts: [{ name: 'c', context: { cluster: cluster.name, user: 'u' } }],
          'current-context': 'c',
        }),
      );
      const op = spawnRun(file, ns);
      // Long enough for the first list calls to be refused and logged.
      await waitFor(
        `${label}: refusal logged`,
        async () =>
          /401|Unauthorized|403|Forbidden|certificate|ECONNRESET|EPROTO/i.test(op.output()),
        30_000,
        undefined,
        200,
      ).catch(() => undefined);
      const out = await op.stop();
      outputs.push(out);
      process.stderr.write(
        `      [secrets] run with ${label}: ${out.split('\n').length} log lines\n`,
      );
    }
    // The refusals were logged (so the error paths ran), without the credentials.
    for (const out of outputs) assert.match(out, /401|Unauthorized|certificate|ECONNRESET|EPROTO/i);
    assert.deepEqual(leaks(outputs.join('\n'), needles), []);
  });
});
