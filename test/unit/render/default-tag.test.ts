import assert from 'node:assert/strict';
import type { IstioOperator } from '../../../src/api/types.js';
import { render as operatorRender } from '../../../src/controller/desired.js';
import { NEVER_MATCH } from '../../../src/render/default-tag.js';
import type { K8sObject } from '../../../src/render/object.js';
import { matchingConfigs, type WebhookConfig } from '../../support/selectors.js';
import { find, render } from './helpers.js';

function iop(name: string, spec: Record<string, unknown>): IstioOperator {
  return {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name, namespace: 'istio-system' },
    spec,
  } as IstioOperator;
}

const injectors = (objects: K8sObject[]) =>
  objects.filter((o) => o.kind === 'MutatingWebhookConfiguration') as WebhookConfig[];

/** The ways a pod asks for the default revision's injector. */
const DEFAULT_INJECTED: [string, Record<string, string>, Record<string, string>][] = [
  ['namespace istio-injection=enabled', { 'istio-injection': 'enabled' }, {}],
  ['namespace istio.io/rev=default', { 'istio.io/rev': 'default' }, {}],
  ['pod sidecar.istio.io/inject=true', {}, { 'sidecar.istio.io/inject': 'true' }],
  ['pod istio.io/rev=default', {}, { 'istio.io/rev': 'default' }],
];

describe('render: one injector per revision, as istioctl install leaves the default revision', () => {
  it('applies the default tag and a deactivated per-revision injector, as istioctl install does', () => {
    const m = operatorRender(iop('control-plane', { profile: 'demo' }));
    const main = find(m, 'MutatingWebhookConfiguration', 'istio-sidecar-injector');
    const hooks = main.webhooks as Record<string, unknown>[];
    assert.equal(hooks.length, 4);
    for (const w of hooks) {
      assert.deepEqual(w.namespaceSelector, NEVER_MATCH, `${String(w.name)} deactivated`);
      assert.deepEqual(w.objectSelector, NEVER_MATCH);
    }
    const tag = find(m, 'MutatingWebhookConfiguration', 'istio-revision-tag-default');
    assert.equal(tag.metadata.labels?.['istio.io/tag'], 'default');
    assert.equal(tag.metadata.labels?.['operator.istio.io/component'], 'Pilot');
    assert.equal(
      tag.metadata.labels?.['install.operator.istio.io/owning-resource'],
      'control-plane',
    );
    // Everything else the injector did (client config, rules, policies) is the tag's now.
    const plain = render({ profile: 'demo' });
    const live = find(plain, 'MutatingWebhookConfiguration', 'istio-sidecar-injector');
    assert.deepEqual(tag.webhooks, live.webhooks);
  });

  for (const [how, ns, pod] of DEFAULT_INJECTED) {
    it(`sends a pod (${how}) to exactly one injector`, () => {
      const m = operatorRender(iop('control-plane', {}));
      assert.deepEqual(matchingConfigs(injectors(m.objects), ns, pod), [
        'istio-revision-tag-default',
      ]);
    });
  }

  it('leaves manifest generate as istioctl manifest generate prints it (live selectors, no tag)', () => {
    const m = render({});
    assert.deepEqual(matchingConfigs(injectors(m.objects), { 'istio-injection': 'enabled' }), [
      'istio-sidecar-injector',
    ]);
    assert.ok(!m.objects.some((o) => o.metadata.name === 'istio-revision-tag-default'));
  });

  it('changes nothing for a revision, nor with operatorManageWebhooks', () => {
    for (const spec of [
      { revision: 'canary' },
      { values: { global: { operatorManageWebhooks: true } } },
    ]) {
      const ours = operatorRender(iop('test', spec));
      const plain = render(spec);
      assert.deepEqual(ours.objects, plain.objects, JSON.stringify(spec));
    }
  });

  it('keeps one tag when the spec lists default itself, and leaves it to a canary that claims it', () => {
    const own = operatorRender(iop('control-plane', { values: { revisionTags: ['default'] } }));
    assert.equal(
      own.objects.filter((o) => o.metadata.name === 'istio-revision-tag-default').length,
      1,
    );
    const canary = iop('canary', { revision: '1-28', values: { revisionTags: ['default'] } });
    const left = operatorRender(iop('control-plane', {}), [canary]);
    assert.ok(!left.objects.some((o) => o.metadata.name === 'istio-revision-tag-default'));
    const main = find(left, 'MutatingWebhookConfiguration', 'istio-sidecar-injector');
    assert.deepEqual(
      (main.webhooks as Record<string, unknown>[])[0]!.namespaceSelector,
      NEVER_MATCH,
    );
  });
});
