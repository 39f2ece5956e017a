import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { K8sObject } from '../../src/render/object.js';

/** What istiod's injector reads: the injector ConfigMap's `config` and `values`, and the mesh config. */
export interface InjectorInputs {
  config: string;
  values: string;
  mesh: string;
}

/** Takes the injector's inputs from a rendered manifest (either side's). */
export function injectorInputs(objects: K8sObject[], side: string): InjectorInputs {
  const data = (pred: (o: K8sObject) => boolean, what: string) => {
    const o = objects.find(pred);
    if (!o) throw new Error(`${side}: no ${what} ConfigMap in the render`);
    return o.data as Record<string, string>;
  };
  const injector = data(
    (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('istio-sidecar-injector'),
    'injector',
  );
  const mesh = data(
    (o) =>
      o.kind === 'ConfigMap' &&
      typeof (o.data as { mesh?: unknown } | undefined)?.mesh === 'string',
    'mesh',
  );
  return { config: injector.config!, values: injector.values!, mesh: mesh.mesh! };
}

/** Writes the three inputs as `<dir>/<prefix>-{config.yaml,values.json,mesh.yaml}` and returns their paths. */
export function writeInjectorInputs(
  inputs: InjectorInputs,
  dir: string,
  prefix: string,
): InjectorInputs {
  const paths = {
    config: join(dir, `${prefix}-config.yaml`),
    values: join(dir, `${prefix}-values.json`),
    mesh: join(dir, `${prefix}-mesh.yaml`),
  };
  writeFileSync(paths.config, inputs.config);
  writeFileSync(paths.values, inputs.values);
  writeFileSync(paths.mesh, inputs.mesh);
  return paths;
}
