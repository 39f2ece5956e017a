import type * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { waitFor } from '../../src/cluster/health.js';
import { KubeClient } from '../../src/kube/client.js';
import { ROOT } from './cli.js';

/** Installs (server-side apply) the IstioOperator CRD from crds/ and waits until it is Established. */
export async function installIstioOperatorCrd(kc: k8s.KubeConfig): Promise<void> {
  const crd = yaml.load(
    readFileSync(join(ROOT, 'crds', 'istiooperators.install.istio.io.yaml'), 'utf8'),
  ) as k8s.KubernetesObject;
  const client = new KubeClient(kc);
  await client.apply(crd);
  await waitFor(
    'IstioOperator CRD Established',
    async () => {
      const live = (await client.get({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'istiooperators.install.istio.io' },
      })) as k8s.V1CustomResourceDefinition;
      return !!live.status?.conditions?.some(
        (c) => c.type === 'Established' && c.status === 'True',
      );
    },
    30_000,
  );
}
