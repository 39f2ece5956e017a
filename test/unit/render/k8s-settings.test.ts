import assert from 'node:assert/strict';
import { at, find, render } from './helpers.js';

describe('render: k8s settings', () => {
  const m = render({
    // Two replicas at least: from 1.28 only then is istiod's PDB rendered for k8s.podDisruptionBudget to patch.
    values: { pilot: { autoscaleMin: 2 } },
    components: {
      pilot: {
        k8s: {
          env: [
            { name: 'PILOT_TRACE_SAMPLING', value: '5' },
            { name: 'EXTRA', value: 'x' },
          ],
          resources: { requests: { cpu: '1' } },
          replicaCount: 3,
          nodeSelector: { disk: 'ssd' },
          tolerations: [{ key: 'dedicated', operator: 'Exists' }],
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] },
            },
          },
          podAnnotations: { a: 'b' },
          priorityClassName: 'high',
          imagePullPolicy: 'Always',
          readinessProbe: { periodSeconds: 9 },
          securityContext: { fsGroup: 7 },
          strategy: { rollingUpdate: { maxSurge: 1 } },
          serviceAnnotations: { svc: 'yes' },
          service: { type: 'NodePort' },
          hpaSpec: { maxReplicas: 9 },
          podDisruptionBudget: { maxUnavailable: 2 },
        },
      },
    },
  });
  const d = at(find(m, 'Deployment', 'istiod'));
  const pod = d.spec.template.spec;
  const c = pod.containers[0];

  it('merges env by name: replaces the value of an existing variable, places new ones as strategic merge patch does', () => {
    const env = c.env as { name: string; value?: string }[];
    assert.equal(env.filter((e) => e.name === 'PILOT_TRACE_SAMPLING').length, 1);
    assert.equal(env.find((e) => e.name === 'PILOT_TRACE_SAMPLING')?.value, '5');
    // Kubernetes' order (normalizeElementOrder), which istioctl's output has:
    // the patch's elements in patch order, a new one before the target's
    // elements that follow the patched one.
    const names = env.map((e) => e.name);
    assert.equal(names.indexOf('EXTRA'), names.indexOf('PILOT_TRACE_SAMPLING') + 1);
    assert.ok(
      env.some((e) => e.name === 'REVISION'),
      'existing variables are kept',
    );
  });

  it('merges resources and keeps the container name unique', () => {
    assert.equal(pod.containers.length, 1);
    assert.deepEqual(c.resources.requests, { cpu: '1', memory: '2048Mi' });
  });

  it('patches pod-level settings on the template', () => {
    assert.deepEqual(pod.nodeSelector, { disk: 'ssd' });
    assert.deepEqual(
      pod.tolerations,
      [{ key: 'dedicated', operator: 'Exists' }],
      'tolerations replace',
    );
    assert.ok(pod.affinity.nodeAffinity);
    assert.equal(pod.priorityClassName, 'high');
    assert.equal(pod.securityContext.fsGroup, 7);
    assert.equal(d.spec.template.metadata.annotations.a, 'b');
    assert.equal(d.spec.template.metadata.annotations['prometheus.io/port'], '15014');
  });

  it('patches container-level settings on the main container', () => {
    assert.equal(c.imagePullPolicy, 'Always');
    assert.equal(c.readinessProbe.periodSeconds, 9);
    assert.equal(c.readinessProbe.httpGet.path, '/ready', 'probe fields merge');
  });

  it('patches replicas and strategy on the Deployment', () => {
    assert.equal(d.spec.replicas, 3);
    assert.equal(d.spec.strategy.rollingUpdate.maxSurge, 1);
    assert.equal(d.spec.strategy.rollingUpdate.maxUnavailable, '25%');
  });

  it('patches the Service, HPA and PDB', () => {
    const s = at(find(m, 'Service', 'istiod'));
    assert.equal(s.metadata.annotations.svc, 'yes');
    assert.equal(s.spec.type, 'NodePort');
    assert.equal(s.spec.ports.length, 4);
    assert.equal(at(find(m, 'HorizontalPodAutoscaler', 'istiod')).spec.maxReplicas, 9);
    const pdb = at(find(m, 'PodDisruptionBudget', 'istiod'));
    assert.equal(pdb.spec.maxUnavailable, 2);
    assert.equal(pdb.spec.minAvailable, undefined, 'minAvailable yields to maxUnavailable');
  });

  it('applies gateway settings to the gateway, not to istiod', () => {
    const g = render({
      components: {
        ingressGateways: [
          { name: 'istio-ingressgateway', k8s: { env: [{ name: 'GW', value: '1' }] } },
        ],
      },
    });
    const gw = at(find(g, 'Deployment', 'istio-ingressgateway')).spec.template.spec.containers[0];
    assert.ok(gw.env.some((e: { name: string }) => e.name === 'GW'));
    const istiod = at(find(g, 'Deployment', 'istiod')).spec.template.spec.containers[0];
    assert.ok(!istiod.env.some((e: { name: string }) => e.name === 'GW'));
  });
});
