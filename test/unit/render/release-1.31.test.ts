import assert from 'node:assert/strict';
import { at, find, ids, render } from './helpers.js';
import { canonicalCpu } from '../../../src/translate/plan.js';
import { semanticDiagnostics } from '../../../src/api/semantic.js';
import { newerValuesErrors } from '../../../src/api/release.js';
import { releaseOfMinor } from '../../../src/releases/catalog.js';

/** What the 1.31 line renders differently from 1.30 (src/releases/changes.ts, section 1.31). */
describe('render: Istio 1.31 against 1.30', () => {
  const env = (o: unknown, container = 0): { name: string; value?: string }[] =>
    at(o).spec.template.spec.containers[container].env;
  const names = (o: unknown) => env(o).map((e) => e.name);

  it('is the default line, with the patch 1.31.4', () => {
    const istiod = find(render(), 'Deployment', 'istiod');
    assert.equal(at(istiod).spec.template.spec.containers[0].image, 'docker.io/istio/pilot:1.31.4');
  });

  it('gives ztunnel ZTUNNEL_RESOURCE_CPU_REQUEST from its default 200m, and _LIMIT once a limit is set', () => {
    const z = (tag: string, spec: Record<string, unknown> = {}) =>
      names(find(render({ profile: 'ambient', tag, ...spec }), 'DaemonSet', 'ztunnel'));
    assert.ok(!z('1.30.8').includes('ZTUNNEL_RESOURCE_CPU_REQUEST'));
    const dflt = z('1.31.4');
    assert.ok(dflt.includes('ZTUNNEL_RESOURCE_CPU_REQUEST'));
    assert.ok(!dflt.includes('ZTUNNEL_RESOURCE_CPU_LIMIT'));
    // The k8s block's CPU reaches the values, so its limit switches the env var on.
    const limited = z('1.31.4', {
      components: { ztunnel: { enabled: true, k8s: { resources: { limits: { cpu: '2000m' } } } } },
    });
    assert.ok(limited.includes('ZTUNNEL_RESOURCE_CPU_LIMIT'));
    const i = limited.indexOf('ZTUNNEL_CPU_LIMIT');
    assert.deepEqual(limited.slice(i, i + 3), [
      'ZTUNNEL_CPU_LIMIT',
      'ZTUNNEL_RESOURCE_CPU_LIMIT',
      'ZTUNNEL_RESOURCE_CPU_REQUEST',
    ]);
  });

  it('writes CPU quantities as Kubernetes does', () => {
    assert.equal(canonicalCpu('2000m'), '2');
    assert.equal(canonicalCpu('0.5'), '500m');
    assert.equal(canonicalCpu(1), '1');
    assert.equal(canonicalCpu('250m'), '250m');
    assert.equal(canonicalCpu('0'), undefined);
    assert.equal(canonicalCpu(undefined), undefined);
  });

  it('renders a PodDisruptionBudget again when k8s.hpaSpec.minReplicas > 1 (as 1.28 did)', () => {
    const spec = (tag: string) => ({
      tag,
      components: { pilot: { k8s: { hpaSpec: { minReplicas: 2, maxReplicas: 4 } } } },
    });
    assert.ok(!ids(render(spec('1.30.8'))).includes('PodDisruptionBudget/istiod'));
    assert.ok(ids(render(spec('1.31.4'))).includes('PodDisruptionBudget/istiod'));
    assert.ok(ids(render(spec('1.28.10'))).includes('PodDisruptionBudget/istiod'));
  });

  it("sets GODEBUG=fips140=only on istiod after the user's env for COMPLIANCE_POLICY fips-140-3", () => {
    const spec = (tag: string) => ({
      tag,
      values: { pilot: { env: { COMPLIANCE_POLICY: 'fips-140-3' } } },
    });
    assert.ok(!names(find(render(spec('1.30.8')), 'Deployment', 'istiod')).includes('GODEBUG'));
    const e = env(find(render(spec('1.31.4')), 'Deployment', 'istiod'));
    const i = e.findIndex((x) => x.name === 'COMPLIANCE_POLICY');
    assert.deepEqual(e[i + 1], { name: 'GODEBUG', value: 'fips140=only' });
  });

  it("takes istiod's terminationMessagePolicy from the values (unvalidatedValues, as istioctl's schema lacks it)", () => {
    const spec = (tag: string) => ({
      tag,
      unvalidatedValues: { pilot: { terminationMessagePolicy: 'FallbackToLogsOnError' } },
    });
    const c = (tag: string) =>
      at(find(render(spec(tag)), 'Deployment', 'istiod')).spec.template.spec.containers[0];
    assert.equal(c('1.31.4').terminationMessagePolicy, 'FallbackToLogsOnError');
    assert.equal(c('1.30.8').terminationMessagePolicy, undefined);
  });

  it('sets it on OpenShift from 1.31 (the platform profile)', () => {
    const c = (tag: string) =>
      at(find(render({ profile: 'openshift', tag }), 'Deployment', 'istiod')).spec.template.spec
        .containers[0];
    assert.equal(c('1.31.4').terminationMessagePolicy, 'FallbackToLogsOnError');
    assert.equal(c('1.30.8').terminationMessagePolicy, undefined);
  });

  it("binds the reader ClusterRole to the user's ServiceAccount and creates none (global.readerServiceAccount)", () => {
    const m = render({
      tag: '1.31.4',
      values: { global: { readerServiceAccount: { name: 'reader', namespace: 'tools' } } },
    });
    assert.ok(!ids(m).includes('ServiceAccount/istio-reader-service-account'));
    const binding = find(m, 'ClusterRoleBinding', 'istio-reader-clusterrole-istio-system');
    assert.deepEqual(at(binding).subjects, [
      { kind: 'ServiceAccount', name: 'reader', namespace: 'tools' },
    ]);
    // Without it: ours, in the install namespace.
    const ours = find(
      render({ tag: '1.31.4' }),
      'ClusterRoleBinding',
      'istio-reader-clusterrole-istio-system',
    );
    assert.deepEqual(at(ours).subjects, [
      { kind: 'ServiceAccount', name: 'istio-reader-service-account', namespace: 'istio-system' },
    ]);
  });

  it('refuses readerServiceAccount on 1.30, and a name without its namespace', () => {
    const spec = { values: { global: { readerServiceAccount: { name: 'reader' } } } };
    const older = newerValuesErrors(spec, releaseOfMinor('1.30')!);
    assert.equal(older[0]?.path, 'spec.values.global.readerServiceAccount');
    const d = semanticDiagnostics({ spec });
    assert.equal(d[0]?.path, 'spec.values.global.readerServiceAccount.namespace');
    assert.match(d[0]!.message, /required when readerServiceAccount\.name is set/);
  });

  it('pins 1.30 behaviour with compatibilityVersion 1.30 (1.31 only)', () => {
    const e = (tag: string) =>
      env(find(render({ tag, compatibilityVersion: '1.30' }), 'Deployment', 'istiod'));
    const off = (list: { name: string; value?: string }[]) =>
      new Set(list.filter((x) => x.value === 'false').map((x) => x.name));
    const without = off(env(find(render({ tag: '1.31.4' }), 'Deployment', 'istiod')));
    const pinned = [...off(e('1.31.4'))].filter((n) => !without.has(n)).sort();
    assert.deepEqual(pinned, [
      'PILOT_AUTO_SEND_UNHEALTHY_ENDPOINTS',
      'PILOT_ENABLE_STRICT_GATEWAY_MERGING',
      'PILOT_SPAWN_UPSTREAM_SPAN_FOR_GATEWAY',
    ]);
    assert.throws(() => e('1.30.8'), /unknown compatibility version for Istio 1\.30/);
  });
});
