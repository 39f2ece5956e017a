import assert from 'node:assert/strict';
import { isRemoteInstall, markTakeover } from '../../../src/controller/remote-takeover.js';
import { renderManifest } from '../../../src/render/manifest.js';
import { generateIstioOperator } from '../../../src/profiles/index.js';
import { translate } from '../../../src/translate/plan.js';

const manifest = (set: string[]) =>
  renderManifest(translate(generateIstioOperator({ files: [], set })));

describe('remote takeover (controller/remote-takeover.ts)', () => {
  it('knows a remote install from a primary', () => {
    assert.equal(isRemoteInstall(manifest(['profile=remote'])), true);
    assert.equal(isRemoteInstall(manifest(['profile=minimal'])), false);
  });

  it('puts the waits on the component that renders the injector webhook, which is then not ready', () => {
    const m = manifest(['profile=remote']);
    const owner = m.components.find((c) =>
      c.objects.some((o) => o.kind === 'MutatingWebhookConfiguration'),
    )!.component;
    const components = m.components.map((c) => ({
      name: c.component,
      ready: true,
      waitingFor: [] as string[],
    }));
    markTakeover(components, m, [
      'the external istiod to write ConfigMap istio-system/istio-ca-root-cert',
    ]);
    const marked = components.filter((c) => !c.ready);
    assert.deepEqual(
      marked.map((c) => [c.name, c.waitingFor]),
      [[owner, ['the external istiod to write ConfigMap istio-system/istio-ca-root-cert']]],
    );
  });

  it('changes nothing without waits, or on a component that failed', () => {
    const m = manifest(['profile=remote']);
    const components = m.components.map((c) => ({
      name: c.component,
      ready: false,
      waitingFor: [] as string[],
      error: 'boom',
    }));
    markTakeover(components, m, []);
    markTakeover(components, m, ['x']);
    assert.ok(components.every((c) => c.waitingFor.length === 0));
  });
});
