import assert from 'node:assert/strict';
import https from 'node:https';
import * as k8s from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { readerTokenSecretName } from '../../../src/apply/reader-token.js';
import { READER_SERVICE_ACCOUNT } from '../../../src/render/remote-secret.js';
import { istioctl, run } from '../../conformance/istioctl.js';
import { runCli } from '../../support/cli.js';
import { useCluster } from '../../support/cluster.js';

interface Kubeconfig {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: { token: string } }[];
}

/** Who the API server says a bearer token is (SelfSubjectReview), through the secret's own CA. */
async function whoAmI(kc: Kubeconfig): Promise<string> {
  const { server, 'certificate-authority-data': ca } = kc.clusters[0]!.cluster;
  const body = JSON.stringify({
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
  });
  return await new Promise((resolve, reject) => {
    const req = https.request(
      `${server}/apis/authentication.k8s.io/v1/selfsubjectreviews`,
      {
        method: 'POST',
        ca: Buffer.from(ca, 'base64'),
        headers: {
          authorization: `Bearer ${kc.users[0]!.user.token}`,
          'content-type': 'application/json',
        },
        timeout: 10_000,
      },
      (res) => {
        let out = '';
        res.on('data', (c: Buffer) => (out += c.toString()));
        res.on('end', () => {
          const r = JSON.parse(out) as { status?: { userInfo?: { username?: string } } };
          resolve(r.status?.userInfo?.username ?? `HTTP ${res.statusCode}`);
        });
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('SelfSubjectReview timed out')));
    req.end(body);
  });
}

describe('istio-operator create-remote-secret (real API server, istioctl 1.27 as the oracle)', () => {
  const ns = `remote-secret-${process.pid}`;
  let kubeconfig = '';
  let core: k8s.CoreV1Api;

  before(async function () {
    this.timeout(180_000);
    const cp = await useCluster();
    kubeconfig = cp.kubeconfig;
    core = cp.kubeConfig().makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedServiceAccount({
      namespace: ns,
      body: { metadata: { name: READER_SERVICE_ACCOUNT } },
    });
  });

  after(async () => {
    await core?.deleteNamespace({ name: ns }).catch(() => {});
  });

  it('creates the token Secret, waits for the token, prints a Secret whose kubeconfig authenticates as the reader; a second run reuses it', async function () {
    this.timeout(120_000);
    const args = [
      'create-remote-secret',
      '--kubeconfig',
      kubeconfig,
      '-n',
      ns,
      '--name',
      'cluster-b',
    ];
    const first = await runCli(args);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stderr,
      new RegExp(`creating token Secret ${ns}/${readerTokenSecretName(READER_SERVICE_ACCOUNT)}`),
    );
    const docs = yaml.loadAll(first.stdout).filter(Boolean) as {
      metadata: { name: string; namespace: string };
      stringData: Record<string, string>;
    }[];
    assert.equal(docs.length, 1);
    assert.equal(docs[0]!.metadata.name, 'istio-remote-secret-cluster-b');
    assert.equal(docs[0]!.metadata.namespace, ns);
    const kc = yaml.load(docs[0]!.stringData['cluster-b']!) as Kubeconfig;
    const token = kc.users[0]!.user.token;
    assert.ok(token.length > 100, 'a token was filled in');
    assert.ok(!first.stderr.includes(token), 'the token is not in the progress output');
    assert.equal(await whoAmI(kc), `system:serviceaccount:${ns}:${READER_SERVICE_ACCOUNT}`);

    const second = await runCli(args);
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stderr, /creating token Secret/);
    assert.equal(second.stdout, first.stdout, 'the same token Secret is reused');
  });

  it('prints what istioctl 1.27 prints for the same cluster (remote and config), apart from its null creationTimestamp', async function () {
    this.timeout(300_000);
    const bin = await istioctl('1.27');
    await core.createNamespacedServiceAccount({
      namespace: ns,
      body: { metadata: { name: 'istiod' } },
    });
    for (const type of ['remote', 'config']) {
      const theirs = await run(bin, [
        'create-remote-secret',
        '--kubeconfig',
        kubeconfig,
        '-i',
        ns,
        '--name',
        'cluster-b',
        '--type',
        type,
        '--create-service-account=false',
      ]);
      assert.equal(theirs.code, 0, theirs.stderr);
      const ours = await runCli([
        'create-remote-secret',
        '--kubeconfig',
        kubeconfig,
        '-n',
        ns,
        '--name',
        'cluster-b',
        '--type',
        type,
      ]);
      assert.equal(ours.code, 0, ours.stderr);
      assert.equal(
        ours.stdout,
        theirs.stdout.replace(/\n {2}creationTimestamp: null\n/, '\n'),
        `--type ${type}`,
      );
    }
  });

  it('says what is missing: no reader ServiceAccount, or a Secret of the token name that is not its token', async function () {
    this.timeout(60_000);
    const none = await runCli([
      'create-remote-secret',
      '--kubeconfig',
      kubeconfig,
      '-n',
      ns,
      '--name',
      'b',
      '--service-account',
      'nobody',
    ]);
    assert.equal(none.code, 1);
    assert.match(
      none.stderr,
      new RegExp(`ServiceAccount ${ns}/nobody does not exist: install Istio`),
    );
    await core.createNamespacedServiceAccount({
      namespace: ns,
      body: { metadata: { name: 'other' } },
    });
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: readerTokenSecretName('other') }, stringData: { token: 'x' } },
    });
    const foreign = await runCli([
      'create-remote-secret',
      '--kubeconfig',
      kubeconfig,
      '-n',
      ns,
      '--name',
      'b',
      '--service-account',
      'other',
    ]);
    assert.equal(foreign.code, 1);
    assert.match(foreign.stderr, /is not a token of ServiceAccount other \(type Opaque\)/);
    assert.equal(foreign.stdout, '');
  });
});
