/**
 * The operator image, run as the operator the way kubelet runs its pod:
 * `npm run test:image` (not part of `npm test`: building the image takes
 * minutes of CI's budget — see the README).
 *
 * The image is built with `npm run image` (or taken from
 * $ISTIO_OPERATOR_IMAGE_ARCHIVE, a `docker save`/`npm run image` archive),
 * loaded into an empty private podman store — which proves the archive
 * loads — and run against the test's control plane with what a pod gets:
 * the ServiceAccount, RBAC and namespaces `init` creates, a TokenRequest
 * token, the CA and the namespace mounted read-only at
 * /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST and
 * _PORT, `init`'s container arguments, UID 65532, a read-only root
 * filesystem, no capabilities. Without podman (or root) the test fails; it
 * never passes without having run the image.
 */
import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { IstioOperator } from '../../src/api/types.js';
import { waitFor } from '../../src/cluster/health.js';
import { operatorObjects } from '../../src/install/objects.js';
import { installOperator } from '../../src/install/installer.js';
import { KubeClient } from '../../src/kube/client.js';
import { isNotFound } from '../../src/kube/errors.js';
import { kubeRequest } from '../../src/kube/request.js';
import { podmanStore, podmanSync, type PodmanStore } from '../../scripts/image-podman.js';
import { useCluster } from '../support/cluster.js';
import { ROOT } from '../support/cli.js';
import { iopRef } from '../support/operator.js';

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** `npm run image` into `dir`, its output on ours; returns the archive. */
function buildImage(dir: string): string {
  const archive = join(dir, 'istio-operator.tar');
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'scripts/image.ts'), '--output', archive],
    { cwd: ROOT, stdio: ['ignore', process.stderr, process.stderr] },
  );
  assert.equal(r.status, 0, 'npm run image failed (its output is above)');
  return archive;
}

describe('the operator image, run as a pod against the local control plane', function () {
  const id = randomBytes(3).toString('hex');
  const opNs = `op-image-${id}`;
  const watched = 'istio-system';
  const objects = operatorObjects({ operatorNamespace: opNs, watchedNamespaces: [watched] });
  const deployment = objects.find((o) => o.kind === 'Deployment') as k8s.V1Deployment;
  const container = deployment.spec!.template.spec!.containers[0]!;
  const lease = `/apis/coordination.k8s.io/v1/namespaces/${opNs}/leases/istio-operator-leader`;

  let work: string;
  let store: PodmanStore;
  let image: string;
  let kc: k8s.KubeConfig;
  let client: KubeClient;
  let operator: ChildProcess | undefined;
  let exited: Promise<number | null> | undefined;
  let logs = '';
  let healthPort: number;
  const name = `istio-operator-test-${id}`;

  before(async function () {
    this.timeout(40 * 60_000);
    work = await mkdtemp(join(tmpdir(), 'istio-operator-image-'));
    // npm run image installs podman when it can (root, apt-get) and fails otherwise.
    const archive = process.env.ISTIO_OPERATOR_IMAGE_ARCHIVE ?? buildImage(work);
    assert.ok(existsSync(archive), `ISTIO_OPERATOR_IMAGE_ARCHIVE: ${archive} does not exist`);
    const podman = spawnSync('podman', ['--version'], { encoding: 'utf8' });
    assert.ok(
      !podman.error && podman.status === 0,
      'podman is not on PATH: the image test needs it (apt-get install podman runc, as root)',
    );
    store = podmanStore(join(work, 'podman'));
    const loaded = podmanSync(store, ['load', '--input', archive]);
    const m = /Loaded image(?:\(s\))?: (\S+)/.exec(loaded);
    assert.ok(m, `podman load printed no image name: ${loaded}`);
    image = m[1]!;

    const cp = await useCluster();
    kc = cp.kubeConfig();
    client = new KubeClient(kc);
    // What `init` applies, but the Deployment and its Service: the test is the kubelet.
    await installOperator(
      kc,
      objects.filter((o) => o.kind !== 'Deployment' && o.kind !== 'Service'),
      { wait: false, timeoutMs: 60_000, onProgress: () => {} },
    );
  });

  after(async function () {
    this.timeout(120_000);
    if (operator && operator.exitCode === null) {
      spawnSync('podman', [...store.globalArgs, 'rm', '--force', '--time', '0', name], {
        env: store.env,
        stdio: 'ignore',
      });
    }
    if (store) await rm(dirname(store.runRoot), { recursive: true, force: true });
    if (work) await rm(work, { recursive: true, force: true });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && logs) {
      process.stderr.write(`\n--- the operator container's output ---\n${logs.slice(-20_000)}\n`);
    }
  });

  it('is a non-root image with no shell, no dev dependencies, no Go and no sources', () => {
    const config = JSON.parse(
      podmanSync(store, ['image', 'inspect', '--format', '{{json .Config}}', image]),
    ) as { User?: string; Entrypoint?: string[]; Cmd?: string[] };
    assert.equal(config.User, '65532:65532');
    assert.deepEqual(config.Entrypoint, ['node', '/app/bin/istio-operator.js']);
    assert.deepEqual(config.Cmd, ['run']);
    const root = podmanSync(store, ['image', 'mount', image]).trim();
    try {
      for (const shell of ['bin/sh', 'bin/bash', 'bin/dash', 'usr/bin/sh', 'usr/bin/env']) {
        assert.ok(!existsSync(join(root, shell)), `${shell} is in the image`);
      }
      const modules = readdirSync(join(root, 'app/node_modules'));
      for (const dev of ['typescript', 'mocha', 'tsx', 'esbuild', 'eslint', 'prettier']) {
        assert.ok(!modules.includes(dev), `the dev dependency ${dev} is in the image`);
      }
      assert.ok(modules.includes('@kubernetes'), 'production dependencies are there');
      for (const absent of ['app/src', 'app/test', 'app/tools', 'usr/local/go', 'usr/lib/go']) {
        assert.ok(!existsSync(join(root, absent)), `${absent} is in the image`);
      }
      assert.ok(existsSync(join(root, 'app/dist/cli/main.js')));
      assert.ok(existsSync(join(root, 'usr/local/bin/node')));
    } finally {
      podmanSync(store, ['image', 'unmount', image]);
    }
  });

  it('reconciles a default-profile IstioOperator to HEALTHY with the mounted ServiceAccount credentials', async function () {
    this.timeout(5 * 60_000);
    // The projected volume kubelet mounts: a bound token, the cluster CA, the namespace.
    const res = await kubeRequest(
      kc,
      'POST',
      `/api/v1/namespaces/${opNs}/serviceaccounts/istio-operator/token`,
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      },
    );
    const token = (JSON.parse(res.body) as { status: { token: string } }).status.token;
    const cluster = kc.getCurrentCluster()!;
    assert.ok(cluster.caData, 'the control plane kubeconfig embeds its CA');
    const sa = join(work, 'serviceaccount');
    await rm(sa, { recursive: true, force: true });
    await mkdir(sa);
    await writeFile(join(sa, 'token'), token);
    await writeFile(join(sa, 'ca.crt'), Buffer.from(cluster.caData, 'base64'));
    await writeFile(join(sa, 'namespace'), opNs);
    for (const f of ['token', 'ca.crt', 'namespace']) await chmod(join(sa, f), 0o644);
    await chmod(sa, 0o755);
    const server = new URL(cluster.server);

    // init's container arguments, with free ports: the container shares the host's network.
    healthPort = await freePort();
    const metricsPort = await freePort();
    const args = container.args!.map((a) =>
      a === `:8081` ? `127.0.0.1:${healthPort}` : a === ':8383' ? `127.0.0.1:${metricsPort}` : a,
    );
    assert.ok(args.includes(`127.0.0.1:${healthPort}`) && args.includes('--leader-elect'));
    operator = spawn(
      'podman',
      [
        ...store.globalArgs,
        'run',
        '--name',
        name,
        '--network',
        'host',
        '--read-only',
        '--user',
        '65532:65532',
        '--cap-drop',
        'all',
        '--security-opt',
        'no-new-privileges',
        '--volume',
        `${sa}:${SA_DIR}:ro`,
        '--env',
        `KUBERNETES_SERVICE_HOST=${server.hostname}`,
        '--env',
        `KUBERNETES_SERVICE_PORT=${server.port}`,
        image,
        ...args,
      ],
      { env: store.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    operator.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
    operator.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
    const proc = operator;
    exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
    const died = () =>
      proc.exitCode !== null ? `the container exited ${proc.exitCode}:\n${logs}` : undefined;

    await waitFor(
      'the operator /readyz',
      async () => {
        try {
          return (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status === 200;
        } catch {
          return false;
        }
      },
      120_000,
      died,
      250,
    );
    const leaseNow = async () =>
      JSON.parse((await kubeRequest(kc, 'GET', lease)).body) as {
        spec?: { holderIdentity?: string };
      };
    await waitFor(
      'the Lease held',
      async () => !!(await leaseNow()).spec?.holderIdentity,
      60_000,
      died,
    );

    const t0 = Date.now();
    await client.apply({ ...iopRef(watched, 'image-test'), spec: { profile: 'default' } });
    await waitFor(
      'the IstioOperator HEALTHY',
      async () =>
        ((await client.get(iopRef(watched, 'image-test'))) as unknown as IstioOperator).status
          ?.status === 'HEALTHY',
      180_000,
      died,
      100,
    );
    process.stderr.write(
      `      [image] HEALTHY ${((Date.now() - t0) / 1000).toFixed(2)} s after the IstioOperator was applied\n`,
    );
    const istiod = await client.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'istiod', namespace: watched },
    });
    assert.ok(istiod, 'istiod was applied by the container');
    assert.doesNotMatch(logs, /"level":"error"/, 'no error in the operator log');
  });

  it('uninstalls, then stops on SIGTERM with exit code 0 and releases its Lease', async function () {
    this.timeout(4 * 60_000);
    assert.ok(operator && exited, 'the operator container runs (previous test)');
    await client.delete(iopRef(watched, 'image-test'));
    await waitFor(
      'the IstioOperator uninstalled by the container',
      async () => {
        try {
          await client.get(iopRef(watched, 'image-test'));
          return false;
        } catch (e) {
          if (isNotFound(e)) return true;
          throw e;
        }
      },
      120_000,
    );
    // What kubelet does on pod deletion: SIGTERM to the container's PID 1.
    podmanSync(store, ['kill', '--signal', 'TERM', name]);
    const code = await Promise.race([
      exited,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000)),
    ]);
    assert.equal(code, 0, `exit code after SIGTERM (output:\n${logs.slice(-4000)})`);
    const after = JSON.parse((await kubeRequest(kc, 'GET', lease)).body) as {
      spec?: { holderIdentity?: string };
    };
    assert.equal(after.spec?.holderIdentity ?? '', '', 'the Lease is released');
    assert.match(logs, /released leadership/);
  });
});
