/**
 * A long-lived token for the reader ServiceAccount, the credential another
 * cluster's istiod uses for this one. Kubernetes no longer creates such
 * tokens by itself (1.24+): a Secret of type
 * `kubernetes.io/service-account-token` that names the ServiceAccount asks
 * kube-controller-manager's token controller to fill one in. The Secret's
 * name is istioctl's, so a cluster connected with either tool reuses the
 * same token and either tool can rotate it.
 */
import type { KubeClient } from '../kube/client.js';
import { describeKubeError, isAlreadyExists, isNotFound } from '../kube/errors.js';

/** Where the reader is, and how long to wait for its token. */
export interface ReaderTokenOptions {
  namespace: string;
  serviceAccount: string;
  /** Default 60 s. */
  timeoutMs?: number;
  /** Default 250 ms. */
  intervalMs?: number;
  onProgress?: (line: string) => void;
}

/** The token and the CA of the API server that accepts it (never logged). */
export interface ReaderToken {
  token: string;
  caPem: string;
  /** The Secret that holds them. */
  secretName: string;
  /** Whether this call created that Secret. */
  created: boolean;
}

/** Why a reader token could not be had, in words the user can act on. */
export class ReaderTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReaderTokenError';
  }
}

/** The token Secret's name for a ServiceAccount: istioctl's. */
export function readerTokenSecretName(serviceAccount: string): string {
  return `${serviceAccount}-istio-remote-secret-token`;
}

interface SecretLike {
  apiVersion?: string;
  kind?: string;
  type?: string;
  metadata?: { name?: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

const decode = (b64: string | undefined) =>
  b64 ? Buffer.from(b64, 'base64').toString('utf8') : '';

/**
 * Returns the reader's token, creating its token Secret when there is none
 * and waiting (bounded) for the token controller to fill it. Refuses a
 * Secret of that name that is not a token of that ServiceAccount rather
 * than use or change it: it is not ours.
 */
export async function ensureReaderToken(
  client: KubeClient,
  o: ReaderTokenOptions,
): Promise<ReaderToken> {
  const progress = o.onProgress ?? (() => {});
  const timeoutMs = o.timeoutMs ?? 60_000;
  const intervalMs = o.intervalMs ?? 250;
  const ns = o.namespace;
  const sa = o.serviceAccount;
  try {
    await client.get({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: sa, namespace: ns },
    });
  } catch (err) {
    if (isNotFound(err))
      throw new ReaderTokenError(
        `ServiceAccount ${ns}/${sa} does not exist: install Istio in this cluster first (profile remote for a remote cluster, ` +
          'any other profile for a primary), or name the reader with --service-account',
      );
    throw new ReaderTokenError(`reading ServiceAccount ${ns}/${sa}: ${describeKubeError(err)}`);
  }
  const name = readerTokenSecretName(sa);
  const ref = { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns } };
  let created = false;
  const read = async (): Promise<SecretLike | undefined> => {
    try {
      return await client.get<SecretLike & { metadata: object }>(ref);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new ReaderTokenError(`reading Secret ${ns}/${name}: ${describeKubeError(err)}`);
    }
  };
  let secret = await read();
  if (!secret) {
    progress(`creating token Secret ${ns}/${name} for ServiceAccount ${sa}`);
    try {
      await client.create({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/service-account-token',
        metadata: {
          name,
          namespace: ns,
          annotations: { 'kubernetes.io/service-account.name': sa },
        },
      } as SecretLike & { metadata: { name: string } });
      created = true;
    } catch (err) {
      if (!isAlreadyExists(err))
        throw new ReaderTokenError(`creating Secret ${ns}/${name}: ${describeKubeError(err)}`);
    }
    secret = await read();
  }
  const owner = secret?.metadata?.annotations?.['kubernetes.io/service-account.name'];
  if (secret && (secret.type !== 'kubernetes.io/service-account-token' || owner !== sa))
    throw new ReaderTokenError(
      `Secret ${ns}/${name} exists but is not a token of ServiceAccount ${sa} (type ${secret.type ?? 'none'}): ` +
        'it was not made for this; delete or rename it, then run again',
    );
  const deadline = Date.now() + timeoutMs;
  let said = false;
  for (;;) {
    const token = decode(secret?.data?.token);
    const caPem = decode(secret?.data?.['ca.crt']);
    if (token && caPem) return { token, caPem, secretName: name, created };
    if (Date.now() > deadline)
      throw new ReaderTokenError(
        `Secret ${ns}/${name} has no token after ${Math.round(timeoutMs / 1000)}s: Kubernetes' token controller ` +
          '(kube-controller-manager, with --service-account-private-key-file and --root-ca-file) fills it; check that it runs',
      );
    if (!said) progress(`waiting for the token controller to fill Secret ${ns}/${name}`);
    said = true;
    await new Promise((r) => setTimeout(r, intervalMs));
    secret = await read();
  }
}
