import yaml from 'js-yaml';
import { generateIstioOperator } from '../../../src/profiles/index.js';
import { renderManifest, type Manifest } from '../../../src/render/manifest.js';
import type { K8sObject } from '../../../src/render/object.js';
import { translate } from '../../../src/translate/plan.js';

/**
 * Renders an IstioOperator given as a `spec` object (merged with its
 * profile the way the CLI does), plus optional `--set` flags.
 */
export function render(spec: Record<string, unknown> = {}, set: string[] = []): Manifest {
  const content = yaml.dump({
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name: 'test', namespace: 'istio-system' },
    spec,
  });
  return renderManifest(
    translate(generateIstioOperator({ files: [{ name: 'test.yaml', content }], set })),
  );
}

/** The one object of this kind and name (and namespace, if given); throws when absent. */
export function find(
  m: Manifest | K8sObject[],
  kind: string,
  name: string,
  ns?: string,
): K8sObject {
  const list = Array.isArray(m) ? m : m.objects;
  const o = list.find(
    (x) =>
      x.kind === kind &&
      x.metadata.name === name &&
      (ns === undefined || x.metadata.namespace === ns),
  );
  if (!o) throw new Error(`no ${kind} ${ns ? ns + '/' : ''}${name} in the render`);
  return o;
}

/** `kind/name` of every object, for membership assertions. */
export function ids(m: Manifest): string[] {
  return m.objects.map((o) => `${o.kind}/${o.metadata.name}`);
}

/** Loose accessor for nested fields of a rendered object in assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test-only deep access into plain JSON
export function at(o: unknown): any {
  return o;
}
