import assert from 'node:assert/strict';
import { componentImage, imageRef } from '../../../src/translate/images.js';

describe('translate: component images', () => {
  it('builds hub/image:tag[-variant], keeps a full reference, adds nothing for the default variant', () => {
    assert.equal(imageRef('docker.io/istio', 'pilot', '1.27.9'), 'docker.io/istio/pilot:1.27.9');
    assert.equal(imageRef('h', 'pilot', '1.27.9', 'distroless'), 'h/pilot:1.27.9-distroless');
    assert.equal(imageRef('h', 'pilot', '1.27.9', 'default'), 'h/pilot:1.27.9');
    assert.equal(imageRef('h', 'my.reg/pilot:x', '1.27.9'), 'my.reg/pilot:x');
  });

  it("takes each component's image name and variant from its values, gateways the proxy's", () => {
    const values = {
      global: { variant: 'distroless', proxy: { image: 'proxyv2' } },
      pilot: { image: 'custom-pilot' },
      cni: { variant: 'debug' },
    };
    assert.equal(componentImage(values, 'pilot', 'h', 't'), 'h/custom-pilot:t-distroless');
    assert.equal(componentImage(values, 'cni', 'h', 't'), 'h/install-cni:t-debug');
    assert.equal(componentImage(values, 'ztunnel', 'h', 't'), 'h/ztunnel:t-distroless');
    assert.equal(
      componentImage(values, 'gateways.istio-ingressgateway', 'h', 't'),
      'h/proxyv2:t-distroless',
    );
    assert.equal(componentImage(values, 'base', 'h', 't'), '');
  });
});

describe('translate: component pull policies', () => {
  it("takes the component's own policy, else the global one, else leaves it to Kubernetes", async () => {
    const { componentPullPolicy } = await import('../../../src/translate/images.js');
    const values = {
      global: { imagePullPolicy: 'IfNotPresent' },
      cni: { pullPolicy: 'Always' },
      ztunnel: { imagePullPolicy: 'Never' },
    };
    assert.equal(componentPullPolicy(values, 'cni'), 'Always');
    assert.equal(componentPullPolicy(values, 'ztunnel'), 'Never');
    assert.equal(componentPullPolicy(values, 'pilot'), 'IfNotPresent');
    assert.equal(componentPullPolicy({}, 'pilot'), '');
  });
});
