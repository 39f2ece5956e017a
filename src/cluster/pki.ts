import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** ECDSA P-256 everywhere, as envtest does: fast to generate on a small machine. */
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A client identity for the API server: the CN is the user, each O a group. */
export interface ClientIdentity {
  /** File stem under the PKI directory, e.g. `admin` → admin.crt/admin.key. */
  file: string;
  user: string;
  groups: string[];
}

/** Paths of everything {@link generatePki} writes. */
export interface PkiFiles {
  dir: string;
  servingCa: string;
  servingCert: string;
  servingKey: string;
  clientCa: string;
  /** Public key the API server verifies service-account tokens with. */
  saPublicKey: string;
  /** Private key that signs service-account tokens (controller-manager and API server). */
  saPrivateKey: string;
  clients: Record<string, { cert: string; key: string }>;
}

interface Ca {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

const HOURS = 3600_000;
let serial = 1;

function nextSerial(): string {
  serial += 1;
  return serial.toString(16).padStart(2, '0');
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function privatePem(keys: CryptoKeyPair): Promise<string> {
  return pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
}

async function newCa(cn: string, now: Date): Promise<Ca> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: `CN=${cn}, O=istio-operator`,
    notBefore: new Date(now.getTime() - HOURS),
    notAfter: new Date(now.getTime() + 24 * 30 * HOURS),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign |
          x509.KeyUsageFlags.cRLSign |
          x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys };
}

async function newLeaf(
  ca: Ca,
  subject: string,
  usage: 'server' | 'client',
  now: Date,
  sans: x509.JsonGeneralName[] = [],
): Promise<{ cert: x509.X509Certificate; keys: CryptoKeyPair }> {
  const keys = await newKeys();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    new x509.ExtendedKeyUsageExtension(
      [usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth],
      false,
    ),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
  ];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    subject,
    issuer: ca.cert.subject,
    notBefore: new Date(now.getTime() - HOURS),
    notAfter: new Date(now.getTime() + 24 * 30 * HOURS),
    signingKey: ca.keys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALG,
    extensions,
  });
  return { cert, keys };
}

/** Escapes a value for an X.500 distinguished name string. */
function dnValue(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, '\\$1');
}

/**
 * Writes a fresh PKI for one local control plane into `dir`: a serving CA and
 * the API server's certificate (valid for localhost, 127.0.0.1 and ::1), a
 * client CA with one certificate per identity, and the service-account
 * signing key pair. Every control plane gets its own, so nothing leaks
 * between runs; keys are written 0600.
 */
export async function generatePki(dir: string, clients: ClientIdentity[]): Promise<PkiFiles> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const now = new Date();
  const write = (name: string, data: string) =>
    writeFile(join(dir, name), data, { mode: name.endsWith('.key') ? 0o600 : 0o644 });

  const servingCa = await newCa('istio-operator-local-serving-ca', now);
  const serving = await newLeaf(servingCa, 'CN=localhost, O=istio-operator', 'server', now, [
    { type: 'dns', value: 'localhost' },
    { type: 'dns', value: 'kubernetes.default.svc' },
    { type: 'ip', value: '127.0.0.1' },
    { type: 'ip', value: '::1' },
  ]);
  const clientCa = await newCa('istio-operator-local-client-ca', now);
  const sa = await newKeys();

  await write('serving-ca.crt', servingCa.cert.toString('pem') + '\n');
  await write('apiserver.crt', serving.cert.toString('pem') + '\n');
  await write('apiserver.key', await privatePem(serving.keys));
  await write('client-ca.crt', clientCa.cert.toString('pem') + '\n');
  await write('sa.pub', pem('PUBLIC KEY', await webcrypto.subtle.exportKey('spki', sa.publicKey)));
  await write('sa.key', await privatePem(sa));

  const files: PkiFiles = {
    dir,
    servingCa: join(dir, 'serving-ca.crt'),
    servingCert: join(dir, 'apiserver.crt'),
    servingKey: join(dir, 'apiserver.key'),
    clientCa: join(dir, 'client-ca.crt'),
    saPublicKey: join(dir, 'sa.pub'),
    saPrivateKey: join(dir, 'sa.key'),
    clients: {},
  };
  for (const c of clients) {
    const subject = [`CN=${dnValue(c.user)}`, ...c.groups.map((g) => `O=${dnValue(g)}`)].join(', ');
    const leaf = await newLeaf(clientCa, subject, 'client', now);
    await write(`${c.file}.crt`, leaf.cert.toString('pem') + '\n');
    await write(`${c.file}.key`, await privatePem(leaf.keys));
    files.clients[c.file] = { cert: join(dir, `${c.file}.crt`), key: join(dir, `${c.file}.key`) };
  }
  return files;
}
