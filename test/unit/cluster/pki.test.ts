import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePki, type PkiFiles } from '../../../src/cluster/pki.js';

describe('local control-plane PKI', function () {
  let dir: string;
  let pki: PkiFiles;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pki-test-'));
    pki = await generatePki(join(dir, 'pki'), [
      { file: 'admin', user: 'admin', groups: ['system:masters'] },
      { file: 'cm', user: 'system:kube-controller-manager', groups: [] },
    ]);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const cert = async (f: string) => new X509Certificate(await readFile(f));

  it('issues a serving certificate from the serving CA for localhost and loopback IPs', async () => {
    const ca = await cert(pki.servingCa);
    const leaf = await cert(pki.servingCert);
    assert.ok(ca.ca);
    assert.ok(leaf.verify(ca.publicKey));
    assert.equal(leaf.checkHost('localhost'), 'localhost');
    assert.equal(leaf.checkIP('127.0.0.1'), '127.0.0.1');
    assert.ok(leaf.keyUsage?.includes('1.3.6.1.5.5.7.3.1'), 'serverAuth');
    assert.ok(leaf.checkPrivateKey(createPrivateKey(await readFile(pki.servingKey))));
  });

  it('issues client certificates whose CN is the user and O the groups', async () => {
    const ca = await cert(pki.clientCa);
    const admin = await cert(pki.clients.admin!.cert);
    assert.ok(admin.verify(ca.publicKey));
    assert.match(admin.subject, /CN=admin/);
    assert.match(admin.subject, /O=system:masters/);
    assert.ok(admin.keyUsage?.includes('1.3.6.1.5.5.7.3.2'), 'clientAuth');
    const cm = await cert(pki.clients.cm!.cert);
    assert.match(cm.subject, /CN=system:kube-controller-manager/);
    assert.doesNotMatch(cm.subject, /O=/);
    // Serving and client trust are separate: the client CA did not sign the server cert.
    assert.equal((await cert(pki.servingCert)).verify(ca.publicKey), false);
  });

  it('writes a matching service-account key pair, private keys readable by the owner only', async () => {
    const priv = createPrivateKey(await readFile(pki.saPrivateKey));
    const pub = createPublicKey(await readFile(pki.saPublicKey));
    assert.equal(priv.asymmetricKeyType, 'ec');
    assert.deepEqual(
      createPublicKey(priv).export({ format: 'der', type: 'spki' }),
      pub.export({ format: 'der', type: 'spki' }),
    );
    for (const f of [pki.saPrivateKey, pki.servingKey, pki.clients.admin!.key]) {
      assert.equal((await stat(f)).mode & 0o077, 0, `${f} is private`);
    }
  });
});
