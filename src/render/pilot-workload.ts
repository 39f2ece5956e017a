import type { RenderPlan } from '../translate/plan.js';
import type { PilotEnvSettings } from '../translate/components/pilot.js';
import { envField, envResource, envValue } from './common.js';
import { istiodName, revLabel } from './names.js';
import type { K8sObject } from './object.js';
import { LABELS } from '../api/vocabulary.js';
import type { JsonObject } from '../json/value.js';

/** The Pilot component's plan, with its settings. */
type PilotPlan = NonNullable<RenderPlan['pilot']>;

/** Labels the istiod Service and PDB select: `app`+`istio: pilot`, or `app`+`istio.io/rev` for a revision. */
export function istiodSelector(revision: string): Record<string, string> {
  return revision ? { app: 'istiod', 'istio.io/rev': revision } : { app: 'istiod', istio: 'pilot' };
}

/** The Deployment's own (immutable) selector: `istio: pilot`, or `app`+`istio.io/rev` for a revision. */
export function istiodDeploymentSelector(revision: string): Record<string, string> {
  return revision ? { app: 'istiod', 'istio.io/rev': revision } : { istio: 'pilot' };
}

function istiodEnv(plan: RenderPlan, e: PilotEnvSettings): JsonObject[] {
  const env: JsonObject[] = [
    envValue('REVISION', revLabel(plan.revision)),
    envValue('PILOT_CERT_PROVIDER', e.certProvider),
    envField('POD_NAME', 'metadata.name'),
    envField('POD_NAMESPACE', 'metadata.namespace'),
    envField('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    envValue('KUBECONFIG', '/var/run/secrets/remote/config'),
    envValue('CA_TRUSTED_NODE_ACCOUNTS', e.trustedNodeAccounts),
    ...e.user,
    ...(e.fipsOnly ? [envValue('GODEBUG', 'fips140=only')] : []),
    ...e.varFrom,
  ];
  if (e.traceSampling !== undefined) env.push(envValue('PILOT_TRACE_SAMPLING', e.traceSampling));
  if (e.untaintName !== undefined) {
    env.push(
      envValue('PILOT_ENABLE_NODE_UNTAINT_CONTROLLERS', 'true'),
      envValue('PILOT_NODE_UNTAINT_CONTROLLERS_TAINT_NAME', e.untaintName),
    );
  }
  if (e.crlConfigMap !== undefined) env.push(envValue('PILOT_CRL_CONFIGMAP', e.crlConfigMap));
  env.push(
    envValue('PILOT_ENABLE_ANALYSIS', String(e.enableAnalysis)),
    envValue('CLUSTER_ID', e.clusterId),
    ...(e.goMemLimit ? [envResource('GOMEMLIMIT', 'limits.memory', '1')] : []),
    envResource('GOMAXPROCS', 'limits.cpu', '1'),
    envValue('PLATFORM', e.platform),
  );
  return env;
}

/**
 * istiod's Deployment: container `discovery` (`<hub>/pilot:<tag>`) serving
 * 8080 debug, 15010 plain xDS, 15012 TLS xDS, 15017 webhooks and 15014
 * monitoring, ready on `/ready`; `replicas` is left out while the HPA owns
 * it (`values.pilot.autoscaleEnabled`).
 */
export function renderIstiodDeployment(plan: RenderPlan, c: PilotPlan): K8sObject {
  const rev = plan.revision;
  const name = istiodName(rev);
  const p = c.settings;
  const labels: Record<string, string> = {
    app: 'istiod',
    'istio.io/rev': revLabel(rev),
    istio: 'pilot',
    release: 'istio',
    ...p.deploymentLabels,
  };
  const podLabels: Record<string, string> = {
    app: 'istiod',
    'istio.io/rev': revLabel(rev),
    'sidecar.istio.io/inject': 'false',
    [LABELS.component]: 'Pilot',
    // Revisioned pods say `istio: istiod`, so the default revision's `istio: pilot` selectors skip them.
    istio: rev ? 'istiod' : 'pilot',
    'istio.io/dataplane-mode': 'none',
    ...p.podLabels,
  };
  const podAnnotations: Record<string, string> = {
    'prometheus.io/port': '15014',
    'prometheus.io/scrape': 'true',
    'sidecar.istio.io/inject': 'false',
    ...p.podAnnotations,
  };
  const image = c.image;
  const policy = c.pullPolicy;
  const container: JsonObject = {
    name: 'discovery',
    image,
    ...(policy ? { imagePullPolicy: policy } : {}),
    ...(p.terminationMessagePolicy ? { terminationMessagePolicy: p.terminationMessagePolicy } : {}),
    args: [
      'discovery',
      '--monitoringAddr=:15014',
      `--log_output_level=${p.logLevel}`,
      ...(p.logAsJson ? ['--log_as_json'] : []),
      '--domain',
      p.clusterDomain,
      '--keepaliveMaxServerConnectionAge',
      p.keepaliveMaxServerConnectionAge,
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
    env: istiodEnv(plan, p.env),
    resources: p.resources,
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
  const podSpec: JsonObject = {
    tolerations: [{ key: 'cni.istio.io/not-ready', operator: 'Exists' }, ...p.tolerations],
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
                audience: p.tokenAudience,
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
  if (Object.keys(p.nodeSelector).length) podSpec.nodeSelector = p.nodeSelector;
  if (Object.keys(p.affinity).length) podSpec.affinity = p.affinity;
  if (p.priorityClassName) podSpec.priorityClassName = p.priorityClassName;
  const spec: JsonObject = {
    strategy: {
      rollingUpdate: { maxSurge: p.maxSurge, maxUnavailable: p.maxUnavailable },
    },
    selector: { matchLabels: istiodDeploymentSelector(rev) },
    template: { metadata: { labels: podLabels, annotations: podAnnotations }, spec: podSpec },
  };
  if (p.replicas !== undefined) spec.replicas = p.replicas;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: c.namespace, labels },
    spec,
  };
}

/** Service `istiod[-<rev>]`: 15010 grpc-xds, 15012 https-dns, 443→15017 https-webhook, 15014 http-monitoring. */
export function renderIstiodService(plan: RenderPlan, c: PilotPlan): K8sObject {
  const rev = plan.revision;
  const annotations = c.settings.serviceAnnotations;
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
export function renderRevisionTagService(plan: RenderPlan, c: PilotPlan, tag: string): K8sObject {
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
