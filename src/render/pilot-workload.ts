import { getBool, getObject, getPath, getString } from '../json/values.js';
import type { ComponentPlan, RenderPlan } from '../translate/plan.js';
import { has } from '../releases/changes.js';
import { envField, envResource, envValue } from './common.js';
import { istiodName, revLabel } from './names.js';
import type { K8sObject } from './object.js';
import { LABELS } from '../api/vocabulary.js';
import type { Json, JsonObject } from '../json/value.js';

/** Labels the istiod Service and PDB select: `app`+`istio: pilot`, or `app`+`istio.io/rev` for a revision. */
export function istiodSelector(revision: string): Record<string, string> {
  return revision ? { app: 'istiod', 'istio.io/rev': revision } : { app: 'istiod', istio: 'pilot' };
}

/** The Deployment's own (immutable) selector: `istio: pilot`, or `app`+`istio.io/rev` for a revision. */
export function istiodDeploymentSelector(revision: string): Record<string, string> {
  return revision ? { app: 'istiod', 'istio.io/rev': revision } : { istio: 'pilot' };
}

function istiodEnv(plan: RenderPlan): JsonObject[] {
  const v = plan.values;
  const userEnv = getObject(v, 'pilot.env');
  const env: JsonObject[] = [
    envValue('REVISION', revLabel(plan.revision)),
    envValue('PILOT_CERT_PROVIDER', getString(v, 'global.pilotCertProvider')),
    envField('POD_NAME', 'metadata.name'),
    envField('POD_NAMESPACE', 'metadata.namespace'),
    envField('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    envValue('KUBECONFIG', '/var/run/secrets/remote/config'),
  ];
  const ztNs = getString(v, 'pilot.trustedZtunnelNamespace');
  const ztName = getString(v, 'pilot.trustedZtunnelName') || 'ztunnel';
  env.push(envValue('CA_TRUSTED_NODE_ACCOUNTS', `${ztNs || plan.istioNamespace}/${ztName}`));
  for (const k of Object.keys(userEnv).sort()) {
    const val = userEnv[k];
    env.push(
      typeof val === 'object' && val !== null && !Array.isArray(val)
        ? { name: k, ...(val as JsonObject) }
        : envValue(k, String(val)),
    );
  }
  if (!('PILOT_TRACE_SAMPLING' in userEnv)) {
    env.push(envValue('PILOT_TRACE_SAMPLING', String(getPath(v, 'pilot.traceSampling') ?? 1)));
  }
  if (has(plan.release, 'istiodUntaintEnv') && getBool(v, 'pilot.taint.enabled')) {
    env.push(
      envValue('PILOT_ENABLE_NODE_UNTAINT_CONTROLLERS', 'true'),
      envValue('PILOT_NODE_UNTAINT_CONTROLLERS_TAINT_NAME', getString(v, 'pilot.taint.name')),
    );
  }
  const noGoMemLimit = has(plan.release, 'istiodNoGoMemLimit');
  const crl = getString(v, 'pilot.crlConfigMapName');
  if (noGoMemLimit && crl) env.push(envValue('PILOT_CRL_CONFIGMAP', crl));
  env.push(
    envValue('PILOT_ENABLE_ANALYSIS', String(getBool(v, 'global.istiod.enableAnalysis'))),
    envValue('CLUSTER_ID', getString(v, 'global.multiCluster.clusterName') || 'Kubernetes'),
    ...(noGoMemLimit ? [] : [envResource('GOMEMLIMIT', 'limits.memory', '1')]),
    envResource('GOMAXPROCS', 'limits.cpu', '1'),
    envValue('PLATFORM', getString(v, 'global.platform')),
  );
  return env;
}

/**
 * istiod's Deployment: container `discovery` (`<hub>/pilot:<tag>`) serving
 * 8080 debug, 15010 plain xDS, 15012 TLS xDS, 15017 webhooks and 15014
 * monitoring, ready on `/ready`; `replicas` is left out while the HPA owns
 * it (`values.pilot.autoscaleEnabled`).
 */
export function renderIstiodDeployment(plan: RenderPlan, c: ComponentPlan): K8sObject {
  const v = plan.values;
  const rev = plan.revision;
  const name = istiodName(rev);
  const p = getObject(v, 'pilot');
  const labels: Record<string, string> = {
    app: 'istiod',
    'istio.io/rev': revLabel(rev),
    istio: 'pilot',
    release: 'istio',
    ...(getObject(p, 'deploymentLabels') as Record<string, string>),
  };
  const podLabels: Record<string, string> = {
    app: 'istiod',
    'istio.io/rev': revLabel(rev),
    'sidecar.istio.io/inject': 'false',
    [LABELS.component]: 'Pilot',
    // Revisioned pods say `istio: istiod`, so the default revision's `istio: pilot` selectors skip them.
    istio: rev ? 'istiod' : 'pilot',
    'istio.io/dataplane-mode': 'none',
    ...(getObject(p, 'podLabels') as Record<string, string>),
  };
  const podAnnotations: Record<string, string> = {
    'prometheus.io/port': '15014',
    'prometheus.io/scrape': 'true',
    'sidecar.istio.io/inject': 'false',
    ...(getObject(p, 'podAnnotations') as Record<string, string>),
  };
  const image = c.image;
  const policy = c.pullPolicy;
  const container: JsonObject = {
    name: 'discovery',
    image,
    ...(policy ? { imagePullPolicy: policy } : {}),
    args: [
      'discovery',
      '--monitoringAddr=:15014',
      `--log_output_level=${getString(v, 'global.logging.level') || 'default:info'}`,
      ...(getBool(v, 'global.logAsJson') ? ['--log_as_json'] : []),
      '--domain',
      getString(v, 'global.proxy.clusterDomain') || 'cluster.local',
      '--keepaliveMaxServerConnectionAge',
      getString(p, 'keepaliveMaxServerConnectionAge') || '30m',
    ],
    ports: [
      { containerPort: 8080, name: 'http-debug', protocol: 'TCP' },
      { containerPort: 15010, name: 'grpc-xds', protocol: 'TCP' },
      { containerPort: 15012, name: 'tls-xds', protocol: 'TCP' },
      { containerPort: 15017, name: 'https-webhooks', protocol: 'TCP' },
      { containerPort: 15014, name: 'http-monitoring', protocol: 'TCP' },
    ],
    readinessProbe: {
      httpGet: { path: '/ready', port: 8080 },
      initialDelaySeconds: 1,
      periodSeconds: 3,
      timeoutSeconds: 5,
    },
    env: istiodEnv(plan),
    resources: getObject(p, 'resources'),
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [
      { name: 'istio-token', mountPath: '/var/run/secrets/tokens', readOnly: true },
      { name: 'local-certs', mountPath: '/var/run/secrets/istio-dns' },
      { name: 'cacerts', mountPath: '/etc/cacerts', readOnly: true },
      { name: 'istio-kubeconfig', mountPath: '/var/run/secrets/remote', readOnly: true },
      { name: 'istio-csr-dns-cert', mountPath: '/var/run/secrets/istiod/tls', readOnly: true },
      { name: 'istio-csr-ca-configmap', mountPath: '/var/run/secrets/istiod/ca', readOnly: true },
    ],
  };
  const tolerations = getPath(p, 'tolerations');
  const podSpec: JsonObject = {
    tolerations: [
      { key: 'cni.istio.io/not-ready', operator: 'Exists' },
      ...(Array.isArray(tolerations) ? tolerations : []),
    ],
    serviceAccountName: name,
    containers: [container],
    volumes: [
      { name: 'local-certs', emptyDir: { medium: 'Memory' } },
      {
        name: 'istio-token',
        projected: {
          sources: [
            {
              serviceAccountToken: {
                audience: getString(v, 'global.sds.token.aud') || 'istio-ca',
                expirationSeconds: 43200,
                path: 'istio-token',
              },
            },
          ],
        },
      },
      { name: 'cacerts', secret: { secretName: 'cacerts', optional: true } },
      { name: 'istio-kubeconfig', secret: { secretName: 'istio-kubeconfig', optional: true } },
      { name: 'istio-csr-dns-cert', secret: { secretName: 'istiod-tls', optional: true } },
      {
        name: 'istio-csr-ca-configmap',
        configMap: { name: 'istio-ca-root-cert', defaultMode: 420, optional: true },
      },
    ],
  };
  const nodeSelector = getObject(p, 'nodeSelector');
  if (Object.keys(nodeSelector).length) podSpec.nodeSelector = nodeSelector;
  const affinity = getObject(p, 'affinity');
  if (Object.keys(affinity).length) podSpec.affinity = affinity;
  const prio = getString(p, 'priorityClassName') || getString(v, 'global.priorityClassName');
  if (prio) podSpec.priorityClassName = prio;
  const spec: JsonObject = {
    strategy: {
      rollingUpdate: {
        maxSurge: (getPath(p, 'rollingMaxSurge') ?? '100%') as Json,
        maxUnavailable: (getPath(p, 'rollingMaxUnavailable') ?? '25%') as Json,
      },
    },
    selector: { matchLabels: istiodDeploymentSelector(rev) },
    template: { metadata: { labels: podLabels, annotations: podAnnotations }, spec: podSpec },
  };
  if (!getBool(p, 'autoscaleEnabled')) spec.replicas = (getPath(p, 'replicaCount') ?? 1) as Json;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: c.namespace, labels },
    spec,
  };
}

/** Service `istiod[-<rev>]`: 15010 grpc-xds, 15012 https-dns, 443→15017 https-webhook, 15014 http-monitoring. */
export function renderIstiodService(plan: RenderPlan, c: ComponentPlan): K8sObject {
  const rev = plan.revision;
  const annotations = getObject(plan.values, 'pilot.serviceAnnotations') as Record<string, string>;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: istiodName(rev),
      namespace: c.namespace,
      labels: { app: 'istiod', istio: 'pilot', 'istio.io/rev': revLabel(rev), release: 'istio' },
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    spec: {
      ports: [
        { port: 15010, name: 'grpc-xds', protocol: 'TCP' },
        { port: 15012, name: 'https-dns', protocol: 'TCP' },
        { port: 443, name: 'https-webhook', targetPort: 15017, protocol: 'TCP' },
        { port: 15014, name: 'http-monitoring', protocol: 'TCP' },
      ],
      selector: istiodSelector(rev),
    },
  };
}

/**
 * From 1.28 each revision tag T also has a Service `istiod-revision-tag-T`
 * selecting this revision's istiod, with istiod's ports, so tools and
 * proxies can address a control plane by its tag.
 */
export function renderRevisionTagService(
  plan: RenderPlan,
  c: ComponentPlan,
  tag: string,
): K8sObject {
  const svc = renderIstiodService(plan, c);
  return {
    ...svc,
    metadata: {
      ...svc.metadata,
      name: `istiod-revision-tag-${tag}`,
      labels: { ...svc.metadata.labels, 'istio.io/tag': tag },
    },
  };
}

/** CPU (and optional memory) utilization metrics for an HPA from `cpu`/`memory` chart values. */
export function hpaMetrics(vals: JsonObject): JsonObject[] {
  const metrics: JsonObject[] = [];
  const cpu = getPath(vals, 'cpu.targetAverageUtilization');
  if (cpu !== undefined && cpu !== null && cpu !== 0) {
    metrics.push({
      type: 'Resource',
      resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpu } },
    });
  }
  const mem = getPath(vals, 'memory.targetAverageUtilization');
  if (mem !== undefined && mem !== null && mem !== 0) {
    metrics.push({
      type: 'Resource',
      resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: mem } },
    });
  }
  return metrics;
}

/** An autoscaling/v2 HPA for a Deployment, sized from `autoscaleMin`/`autoscaleMax`. */
export function renderHpa(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  vals: JsonObject,
): K8sObject {
  const behavior = getObject(vals, 'autoscaleBehavior');
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace, labels },
    spec: {
      maxReplicas: (getPath(vals, 'autoscaleMax') ?? 5) as Json,
      minReplicas: (getPath(vals, 'autoscaleMin') ?? 1) as Json,
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      metrics: hpaMetrics(vals),
      ...(Object.keys(behavior).length ? { behavior } : {}),
    },
  };
}

/**
 * Whether a workload gets its PodDisruptionBudget: when
 * `global.defaultPodDisruptionBudget.enabled`, and from 1.28 on only when
 * more than one replica can run (autoscaling with a minimum above one, or
 * a fixed replica count above one), since a budget of one available pod
 * over a single replica blocks every node drain.
 */
export function wantsPdb(plan: RenderPlan, vals: JsonObject): boolean {
  if (!getBool(plan.values, 'global.defaultPodDisruptionBudget.enabled')) return false;
  if (!has(plan.release, 'pdbOnlyWithReplicas')) return true;
  const count = (k: string) => Math.trunc(Number(getPath(vals, k) ?? 0)) || 0;
  return getBool(vals, 'autoscaleEnabled') ? count('autoscaleMin') > 1 : count('replicaCount') > 1;
}

/** A policy/v1 PDB keeping one pod of the selected workload available. */
export function renderPdb(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  selector: Record<string, string>,
): K8sObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace, labels },
    spec: { minAvailable: 1, selector: { matchLabels: selector } },
  };
}
