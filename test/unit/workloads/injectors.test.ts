import assert from 'node:assert/strict';
import type { IstioOperator } from '../../../src/api/types.js';
import { render as operatorRender } from '../../../src/controller/desired.js';
import type { K8sObject } from '../../../src/render/object.js';
import { injectorsFrom, type WebhookConfigView } from '../../../src/workloads/injectors.js';
import { wantedRevision } from '../../../src/workloads/selection.js';
import { matchingConfigs, type WebhookConfig } from '../../support/selectors.js';

function iop(name: string, spec: Record<string, unknown>): IstioOperator {
  return {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name, namespace: 'istio-system' },
    spec,
  } as IstioOperator;
}

const mwcs = (objects: K8sObject[]) =>
  objects.filter((o) => o.kind === 'MutatingWebhookConfiguration') as WebhookConfig[];

const view = (o: WebhookConfig): WebhookConfigView => ({
  labels: (o.metadata as { labels?: Record<string, string> }).labels ?? {},
  webhooks: o.webhooks ?? [],
});

/** A default install (default tag, deactivated own injector) and a canary `1-28` holding tag `prod`. */
function cluster(): WebhookConfig[] {
  return [
    ...mwcs(operatorRender(iop('stable', {})).objects),
    ...mwcs(
      operatorRender(iop('canary', { revision: '1-28', values: { revisionTags: ['prod'] } }))
        .objects,
    ),
  ];
}

describe('workloads: the injectors of the cluster, read from their webhook configurations', () => {
  it('reads the revisions with a live injector and the tags with their revision', () => {
    const inj = injectorsFrom(cluster().map(view));
    // The default revision's own injector is deactivated: only its tag answers.
    assert.deepEqual([...inj.revisions], ['1-28']);
    assert.deepEqual([...inj.tags].sort(), [
      ['default', 'default'],
      ['prod', '1-28'],
    ]);
  });

  it('ignores configurations that are not sidecar injectors', () => {
    const inj = injectorsFrom([{ labels: { app: 'other', 'istio.io/rev': 'x' }, webhooks: [{}] }]);
    assert.equal(inj.revisions.size + inj.tags.size, 0);
  });

  // The pure decision must agree with the selectors the renderer emits:
  // the configuration the API server would call is the one whose revision
  // wantedRevision names (or none when it names none).
  const CASES: [string, Record<string, string>, Record<string, string>][] = [
    ['ns istio-injection=enabled', { 'istio-injection': 'enabled' }, {}],
    ['ns istio-injection=disabled', { 'istio-injection': 'disabled' }, {}],
    ['ns istio.io/rev=prod', { 'istio.io/rev': 'prod' }, {}],
    ['ns istio.io/rev=1-28', { 'istio.io/rev': '1-28' }, {}],
    ['ns istio.io/rev=default', { 'istio.io/rev': 'default' }, {}],
    ['ns istio.io/rev=gone', { 'istio.io/rev': 'gone' }, {}],
    ['ns both labels', { 'istio-injection': 'enabled', 'istio.io/rev': 'prod' }, {}],
    ['pod istio.io/rev=prod', {}, { 'istio.io/rev': 'prod' }],
    ['pod inject=true', {}, { 'sidecar.istio.io/inject': 'true' }],
    [
      'pod inject=false in enabled ns',
      { 'istio-injection': 'enabled' },
      { 'sidecar.istio.io/inject': 'false' },
    ],
    [
      'pod inject=false in rev ns',
      { 'istio.io/rev': 'prod' },
      { 'sidecar.istio.io/inject': 'false' },
    ],
    ['ns rev wins over pod rev', { 'istio.io/rev': 'default' }, { 'istio.io/rev': 'prod' }],
    ['nothing', {}, {}],
  ];
  for (const [name, nsLabels, podLabels] of CASES) {
    it(`agrees with the rendered selectors: ${name}`, () => {
      const configs = cluster();
      const inj = injectorsFrom(configs.map(view));
      const matched = matchingConfigs(configs, nsLabels, podLabels);
      assert.ok(matched.length <= 1, `at most one injector matches: ${matched.join(', ')}`);
      const revOf = (cfgName: string) =>
        view(configs.find((c) => (c.metadata as { name: string }).name === cfgName)!).labels[
          'istio.io/rev'
        ];
      const got = wantedRevision(
        { name: 'x', labels: nsLabels },
        { labels: podLabels, annotations: {} },
        inj,
      );
      assert.equal(got.revision, matched[0] === undefined ? undefined : revOf(matched[0]));
    });
  }
});
