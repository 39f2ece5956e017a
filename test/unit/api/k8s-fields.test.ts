import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { IstioOperatorValidationError } from '../../../src/api/errors.js';
import { istioOperatorSchema } from '../../../src/api/schema/crd.js';
import type { JSONSchemaProps } from '../../../src/api/schema/props.js';
import type { Diagnostic } from '../../../src/api/types.js';
import { validateIstioOperator } from '../../../src/api/validate.js';
import { generateIstioOperator } from '../../../src/profiles/index.js';
import { CRD_FILE } from '../../../scripts/write-crd.js';
import { GENERATED_K8S_TYPES, k8sTypesSource } from '../../../scripts/write-k8s-types.js';
import { ROOT } from '../../support/cli.js';

/** Istio's own manifest-generate inputs, beside the repository (never copied into it). */
const ISTIO_INPUTS = join(ROOT, '..', 'shared', 'data', 'istio-manifest-inputs');

const iop = (spec: Record<string, unknown>) => ({
  apiVersion: 'install.istio.io/v1alpha1',
  kind: 'IstioOperator',
  metadata: { name: 'x', namespace: 'istio-system' },
  spec,
});

const errors = (ds: Diagnostic[]) => ds.filter((d) => d.severity === 'error');

/** The diagnostics generateIstioOperator throws for one of Istio's inputs. */
function refusalOf(file: string): Diagnostic[] {
  const content = readFileSync(join(ISTIO_INPUTS, file), 'utf8');
  try {
    generateIstioOperator({ files: [{ name: file, content }], set: [] });
  } catch (e) {
    assert.ok(e instanceof IstioOperatorValidationError, String(e));
    return errors(e.diagnostics);
  }
  assert.fail(`${file} was accepted`);
}

const at = (ds: Diagnostic[], path: string) => {
  const d = ds.find((x) => x.path === path);
  assert.ok(d, `no error at ${path}: ${JSON.stringify(ds, null, 1)}`);
  return d;
};

describe('Kubernetes-typed fields (k8s blocks and values)', () => {
  describe("refuses Istio's invalid inputs, naming the path", () => {
    it('invalid-k8s.yaml: an unknown field in a k8s toleration', () => {
      const d = at(
        refusalOf('invalid-k8s.yaml'),
        'spec.components.ztunnel.k8s.tolerations[0].thats',
      );
      assert.equal(d.message, 'unknown field "thats" in a Kubernetes Toleration');
      assert.equal(d.value, 'not-a-real-field');
      assert.match(
        d.fix ?? '',
        /^remove it; fields allowed here: effect, key, operator, tolerationSeconds, value$/,
      );
    });

    it('invalid-k8s-values.yaml: an unknown field in values.global.defaultTolerations', () => {
      const d = at(
        refusalOf('invalid-k8s-values.yaml'),
        'spec.values.global.defaultTolerations[0].thats',
      );
      assert.equal(d.message, 'unknown field "thats" in a Kubernetes Toleration');
    });

    it('autoscaling_v2beta1_k8s_and_values.yaml: v2beta1 targetAverageUtilization, with the v2 form as fix', () => {
      const ds = refusalOf('autoscaling_v2beta1_k8s_and_values.yaml');
      for (const i of [0, 1]) {
        const d = at(
          ds,
          `spec.components.ingressGateways[0].k8s.hpaSpec.metrics[${i}].resource.targetAverageUtilization`,
        );
        assert.match(
          d.message,
          /^unknown field "targetAverageUtilization": an autoscaling\/v2beta1 field/,
        );
        assert.equal(
          d.fix,
          'write resource.target: {type: Utilization, averageUtilization: 70} instead (autoscaling/v2)',
        );
      }
      // values.pilot.cpu.targetAverageUtilization is a values field of its own, still valid.
      assert.ok(!ds.some((d) => d.path.startsWith('spec.values')), JSON.stringify(ds));
    });

    it('deprecated_autoscaling_k8s_spec.yaml: v2beta1 object metricName/averageValue and resource targetAverageUtilization', () => {
      const ds = refusalOf('deprecated_autoscaling_k8s_spec.yaml');
      const metric = 'spec.components.ingressGateways[0].k8s.hpaSpec.metrics[0].object';
      assert.equal(
        at(ds, `${metric}.averageValue`).fix,
        'write object.target: {type: AverageValue, averageValue: 111} instead (autoscaling/v2)',
      );
      assert.equal(
        at(ds, `${metric}.metricName`).fix,
        'write object.metric: {name: "cpu"} instead (autoscaling/v2)',
      );
      assert.match(
        at(ds, 'spec.components.pilot.k8s.hpaSpec.metrics[1].resource.targetAverageUtilization')
          .fix ?? '',
        /resource\.target: \{type: Utilization, averageUtilization: 444\}/,
      );
    });
  });

  it('accepts valid Kubernetes fields in every k8s setting', () => {
    const k8s = {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }],
              },
            ],
          },
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 10,
              preference: {
                matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n1'] }],
              },
            },
          ],
        },
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: {
                labelSelector: { matchLabels: { app: 'istiod' } },
                topologyKey: 'kubernetes.io/hostname',
                matchLabelKeys: ['pod-template-hash'],
              },
            },
          ],
        },
      },
      env: [
        { name: 'A', value: '1' },
        { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'k', optional: true } } },
        { name: 'C', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'D', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: 1 } } },
        { name: 'E', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
      ],
      hpaSpec: {
        minReplicas: 2,
        maxReplicas: 5,
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'istiod' },
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
          },
          {
            type: 'Pods',
            pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '1k' } },
          },
          {
            type: 'Object',
            object: {
              describedObject: { apiVersion: 'v1', kind: 'Service', name: 'istiod' },
              metric: { name: 'hits', selector: { matchLabels: { a: 'b' } } },
              target: { type: 'Value', value: 100 },
            },
          },
          {
            type: 'External',
            external: {
              metric: { name: 'queue' },
              target: { type: 'AverageValue', averageValue: '30' },
            },
          },
          {
            type: 'ContainerResource',
            containerResource: {
              name: 'memory',
              container: 'discovery',
              target: { type: 'Utilization', averageUtilization: 70 },
            },
          },
        ],
        behavior: {
          scaleDown: {
            stabilizationWindowSeconds: 300,
            policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }],
          },
          scaleUp: { selectPolicy: 'Max', tolerance: '0.05' },
        },
      },
      podDisruptionBudget: {
        minAvailable: 1,
        selector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] },
      },
      readinessProbe: {
        httpGet: { path: '/ready', port: 'http', scheme: 'HTTP' },
        initialDelaySeconds: 1,
        periodSeconds: 3,
      },
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 1337,
        fsGroup: 1337,
        seccompProfile: { type: 'RuntimeDefault' },
        sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }],
      },
      service: {
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
      },
      tolerations: [
        {
          key: 'dedicated',
          operator: 'Equal',
          value: 'istio',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
        { operator: 'Exists' },
      ],
      volumes: [
        {
          name: 'a',
          configMap: { name: 'cm', items: [{ key: 'k', path: 'p', mode: 420 }], defaultMode: 420 },
        },
        { name: 'b', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
        {
          name: 'c',
          projected: {
            sources: [
              {
                serviceAccountToken: {
                  audience: 'istio-ca',
                  expirationSeconds: 43200,
                  path: 'istio-token',
                },
              },
            ],
          },
        },
      ],
      volumeMounts: [{ name: 'a', mountPath: '/etc/a', readOnly: true }],
    };
    const ds = validateIstioOperator(
      iop({
        components: { pilot: { k8s }, ingressGateways: [{ name: 'istio-ingressgateway', k8s }] },
      }),
    );
    assert.deepEqual(errors(ds), []);
  });

  it('accepts valid Kubernetes-typed values, and the gateway charts’ own anti-affinity form', () => {
    const toleration = { key: 'k', operator: 'Exists', effect: 'NoSchedule' };
    const affinity = {
      podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone' }] },
    };
    const spread = {
      maxSkew: 1,
      topologyKey: 'zone',
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: { app: 'x' } },
    };
    const gateway = {
      nodeSelector: { pool: 'edge' },
      tolerations: [toleration],
      podAntiAffinityLabelSelector: [
        { key: 'security', operator: 'In', values: 'S1,S2', topologyKey: 'kubernetes.io/hostname' },
      ],
      podAntiAffinityTermLabelSelector: [
        { key: 'app', operator: 'In', values: 'gw', topologyKey: 'zone' },
      ],
    };
    const values = {
      global: {
        defaultTolerations: [toleration],
        defaultNodeSelector: { 'kubernetes.io/os': 'linux' },
        proxy: {
          lifecycle: {
            preStop: { exec: { command: ['sleep', '5'] } },
            postStart: { httpGet: { port: 15020, path: '/x' } },
          },
          seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' },
        },
        waypoint: {
          affinity,
          topologySpreadConstraints: [spread],
          nodeSelector: { a: 'b' },
          toleration: [toleration],
        },
      },
      pilot: {
        affinity,
        tolerations: [toleration],
        nodeSelector: { a: 'b' },
        topologySpreadConstraints: [spread],
        seccompProfile: { type: 'RuntimeDefault' },
        volumes: [{ name: 'v', secret: { secretName: 's', optional: true } }],
        volumeMounts: [{ name: 'v', mountPath: '/v' }],
        envVarFrom: [
          { name: 'FAKE', valueFrom: { secretKeyRef: { name: 'fake-secret', key: 'fake-key' } } },
        ],
        autoscaleBehavior: { scaleUp: { stabilizationWindowSeconds: 0 } },
      },
      cni: { affinity, seccompProfile: { type: 'Unconfined' } },
      gateways: {
        'istio-ingressgateway': {
          ...gateway,
          resources: { requests: { cpu: 1, memory: '128Mi' }, limits: { cpu: '2' } },
        },
        'istio-egressgateway': gateway,
      },
      sidecarInjectorWebhook: {
        neverInjectSelector: [
          { matchExpressions: [{ key: 'openshift.io/build.name', operator: 'Exists' }] },
        ],
        alwaysInjectSelector: [{ matchLabels: { inject: 'yes' } }],
      },
    };
    assert.deepEqual(errors(validateIstioOperator(iop({ values }))), []);
  });

  it('refuses a typo deep inside affinity, suggesting the field', () => {
    const ds = validateIstioOperator(
      iop({
        components: {
          pilot: {
            k8s: {
              affinity: {
                podAntiAffinity: {
                  requiredDuringSchedulingIgnoredDuringExecution: [
                    {
                      labelSelector: { matchExpression: [{ key: 'app', operator: 'Exists' }] },
                      topologyKey: 'zone',
                    },
                  ],
                },
              },
            },
          },
        },
      }),
    );
    const d = at(
      errors(ds),
      'spec.components.pilot.k8s.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpression',
    );
    assert.equal(
      d.message,
      'unknown field "matchExpression" in a Kubernetes LabelSelector (did you mean "matchExpressions"?)',
    );
    assert.match(d.fix ?? '', /^rename it to "matchExpressions"/);
  });

  it('refuses wrong types and bad quantities inside Kubernetes types, naming the path', () => {
    const ds = errors(
      validateIstioOperator(
        iop({
          components: {
            pilot: {
              k8s: {
                tolerations: [{ key: 'k', tolerationSeconds: 'forever' }],
                hpaSpec: {
                  metrics: [
                    {
                      type: 'Pods',
                      pods: {
                        metric: { name: 'x' },
                        target: { type: 'AverageValue', averageValue: 'lots' },
                      },
                    },
                  ],
                },
                volumes: [{ name: 'v', emptyDir: { sizeLimit: true } }],
              },
            },
          },
          values: { pilot: { nodeSelector: { dedicated: true } } },
        }),
      ),
    );
    assert.match(
      at(ds, 'spec.components.pilot.k8s.tolerations[0].tolerationSeconds').message,
      /^must be an integer/,
    );
    assert.equal(
      at(ds, 'spec.components.pilot.k8s.hpaSpec.metrics[0].pods.target.averageValue').message,
      'is not a Kubernetes quantity',
    );
    assert.match(
      at(ds, 'spec.components.pilot.k8s.volumes[0].emptyDir.sizeLimit').message,
      /^must be an integer or a string/,
    );
    const label = at(ds, 'spec.values.pilot.nodeSelector.dedicated');
    assert.match(label.message, /^must be a string/);
    assert.equal(label.fix, 'quote the value in YAML');
  });

  it('says where a v2beta1 object.target (the object described) went in autoscaling/v2', () => {
    const ds = errors(
      validateIstioOperator(
        iop({
          components: {
            pilot: {
              k8s: {
                hpaSpec: {
                  metrics: [
                    {
                      type: 'Object',
                      object: {
                        target: { kind: 'Service', name: 'istiod' },
                        metricName: 'hits',
                        targetValue: 10,
                      },
                    },
                  ],
                },
              },
            },
          },
        }),
      ),
    );
    const object = 'spec.components.pilot.k8s.hpaSpec.metrics[0].object';
    assert.match(at(ds, `${object}.target.kind`).fix ?? '', /^move it to object\.describedObject/);
    assert.equal(
      at(ds, `${object}.targetValue`).fix,
      'write object.target: {type: Value, value: 10} instead (autoscaling/v2)',
    );
  });

  describe('the Kubernetes type table and the CRD', () => {
    it('is exactly what scripts/write-k8s-types.ts derives from @kubernetes/client-node', () => {
      assert.ok(
        readFileSync(GENERATED_K8S_TYPES, 'utf8') === k8sTypesSource(),
        'src/api/generated/k8s-types.ts is stale: run node --import tsx scripts/write-k8s-types.ts',
      );
    });

    it('closes the small Kubernetes types in the CRD and leaves only Volume, Affinity and MetricSpec open', () => {
      const k8s =
        istioOperatorSchema.properties!.spec!.properties!.components!.properties!.pilot!.properties!
          .k8s!.properties!;
      const closed = (s: JSONSchemaProps) =>
        s.type === 'object' && !!s.properties && !s['x-kubernetes-preserve-unknown-fields'];
      assert.ok(closed(k8s.tolerations!.items!));
      assert.ok(closed(k8s.env!.items!.properties!.valueFrom!));
      assert.ok(closed(k8s.readinessProbe!));
      assert.ok(closed(k8s.securityContext!));
      assert.ok(closed(k8s.podDisruptionBudget!.properties!.selector!));
      assert.ok(closed(k8s.hpaSpec!.properties!.behavior!));
      for (const open of [
        k8s.affinity!,
        k8s.volumes!.items!,
        k8s.hpaSpec!.properties!.metrics!.items!,
      ]) {
        assert.equal(open['x-kubernetes-preserve-unknown-fields'], true);
      }
    });

    it('keeps the CRD file under 400 kB (312 kB; 187 kB before Kubernetes types, 912 kB with all of them inlined)', () => {
      const text = readFileSync(CRD_FILE, 'utf8');
      assert.ok(text.length < 400_000, `${text.length} bytes`);
      assert.ok(JSON.stringify(yaml.load(text)).length < 160_000);
    });
  });
});
