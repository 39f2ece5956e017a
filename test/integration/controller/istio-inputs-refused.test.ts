import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { IstioOperatorValidationError } from '../../../src/api/errors.js';
import type { IstioOperator } from '../../../src/api/types.js';
import { waitFor } from '../../../src/cluster/health.js';
import type { OperatorManager } from '../../../src/controller/manager.js';
import { describeKubeError } from '../../../src/kube/errors.js';
import { generateIstioOperator } from '../../../src/profiles/index.js';
import { DEFAULT_RELEASE } from '../../../src/releases/catalog.js';
import { ISTIO_INPUTS, istioInputs } from '../../conformance/istio-inputs-table.js';
import { iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';

/** The tag both the conformance suite and this test give every input (the default line's patch). */
const TAG = DEFAULT_RELEASE.patch;

/**
 * The single-document Istio inputs our validator refuses (those istioctl
 * refuses, and the documented on-purpose refusals of
 * test/conformance/istio-inputs.ts), each with the fields its errors name.
 */
function refusedInputs(): { file: string; doc: IstioOperator; fields: string[] }[] {
  const out: { file: string; doc: IstioOperator; fields: string[] }[] = [];
  for (const file of istioInputs()) {
    const content = readFileSync(join(ISTIO_INPUTS, file), 'utf8');
    const docs = yaml.loadAll(content).filter((d) => d !== null && d !== undefined);
    if (docs.length !== 1) continue;
    try {
      generateIstioOperator({ files: [{ name: file, content }], set: [`tag=${TAG}`] });
    } catch (err) {
      if (!(err instanceof IstioOperatorValidationError)) throw err;
      // Each error's field, by its last name (`thats`, `targetAverageUtilization`, `namespace`).
      const fields = err.diagnostics
        .filter((d) => d.severity === 'error')
        .map((d) => /([A-Za-z][\w-]*)(\[\d+\])?$/.exec(d.path)?.[1] ?? d.path);
      const doc = docs[0] as IstioOperator;
      out.push({ file, doc: { ...doc, spec: { ...doc.spec, tag: TAG } }, fields });
    }
  }
  return out;
}

/**
 * An IstioOperator the operator refuses reaches it through the API server
 * like any other: Istio's refused inputs, applied as they are, either never
 * get past the API server (its schema names the field) or end Stalled with
 * the field named in the status, and nothing is applied for them.
 */
describe('operator: refuses the Istio inputs istioctl refuses, changing nothing', function () {
  let env: OperatorEnv;
  let manager: OperatorManager;
  let ns: string;
  const inputs = refusedInputs();

  before(async function () {
    this.timeout(30 * 60_000);
    env = await operatorEnv();
    ns = await env.namespace('refused');
    manager = await env.startOperator([ns]);
  });

  after(async () => {
    await manager?.stop();
  });

  it(`has the refused inputs to apply (${inputs.length}: the 5 istioctl refuses, and 3 on purpose)`, () => {
    assert.deepEqual(
      inputs.map((i) => i.file),
      [
        'autoscaling_v2beta1_k8s_and_values.yaml',
        'deprecated_autoscaling_k8s_spec.yaml',
        'flag_force.yaml',
        'invalid-k8s-values.yaml',
        'invalid-k8s.yaml',
        'pilot_k8s_settings.yaml',
        'pilot_override_kubernetes.yaml',
        'pilot_override_values.yaml',
      ],
    );
  });

  for (const { file, doc, fields } of inputs) {
    it(`${file.replace(/\.yaml$/, '')}: refused by the API server or Stalled naming ${fields.join(', ')}; 0 objects applied`, async function () {
      this.timeout(60_000);
      const name = file.replace(/\.yaml$/, '').replace(/[^a-z0-9]+/g, '-');
      const applies = () => manager.client.requests.get('apply')?.get(200) ?? 0;
      const before = applies();
      try {
        await env.client.apply({
          ...(doc as unknown as k8s.KubernetesObject),
          metadata: { name, namespace: ns },
        });
      } catch (err) {
        const message = describeKubeError(err);
        assert.ok(
          fields.some((f) => message.includes(f)),
          `the API server refused ${file} without naming ${fields.join('/')}: ${message}`,
        );
        return;
      }
      await waitFor(
        `${name} Stalled`,
        async () => (await env.getIop(ns, name)).status?.status === 'ERROR',
        30_000,
        undefined,
        200,
      );
      const stalled = (await env.getIop(ns, name)).status?.conditions?.find(
        (c) => c.type === 'Stalled',
      );
      assert.equal(stalled?.status, 'True');
      assert.ok(
        fields.some((f) => stalled?.message?.includes(f)),
        `status names ${fields.join('/')}: ${stalled?.message}`,
      );
      assert.equal(applies(), before, 'no object applied');
      await env.client.delete(iopRef(ns, name)).catch(() => undefined);
    });
  }
});
