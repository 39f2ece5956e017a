import { readFile, writeFile } from 'node:fs/promises';
import yaml from 'js-yaml';

/** What a kubeconfig for one client-certificate user of a local control plane needs. */
export interface KubeconfigSpec {
  server: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** Cluster, user and context name. */
  name: string;
}

/**
 * Writes a kubeconfig with the certificates embedded (not referenced by
 * path), so the file keeps working when copied elsewhere. Written 0600: it
 * holds a private key.
 */
export async function writeKubeconfig(path: string, spec: KubeconfigSpec): Promise<void> {
  const b64 = async (f: string) => (await readFile(f)).toString('base64');
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: spec.name,
        cluster: { server: spec.server, 'certificate-authority-data': await b64(spec.caFile) },
      },
    ],
    users: [
      {
        name: spec.name,
        user: {
          'client-certificate-data': await b64(spec.certFile),
          'client-key-data': await b64(spec.keyFile),
        },
      },
    ],
    contexts: [{ name: spec.name, context: { cluster: spec.name, user: spec.name } }],
    'current-context': spec.name,
    preferences: {},
  };
  await writeFile(path, yaml.dump(doc, { lineWidth: -1 }), { mode: 0o600 });
}
