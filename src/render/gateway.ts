import type { GatewayPlan, RenderPlan } from '../translate/plan.js';
import { envField, envResource, envValue, pullSecretsField, rule } from './common.js';
import { revLabel } from './names.js';
import { type K8sObject } from './object.js';
import { renderHpa, renderPdb } from './scaling.js';
import { has } from '../releases/changes.js';
import { policyName, renderNetworkPolicy } from './network-policy.js';
import { LABELS } from '../api/vocabulary.js';
import type { Json, JsonObject } from '../json/value.js';

function gatewayEnv(plan: RenderPlan, g: GatewayPlan): JsonObject[] {
  const p = plan.proxy;
  const env: JsonObject[] = [
    envValue('PILOT_CERT_PROVIDER', p.pilotCertProvider),
    envValue('CA_ADDR', p.caAddress),
    envField('NODE_NAME', 'spec.nodeName'),
    envField('POD_NAME', 'metadata.name'),
    envField('POD_NAMESPACE', 'metadata.namespace'),
    envField('INSTANCE_IP', 'status.podIP'),
    envField('HOST_IP', 'status.hostIP'),
    envResource(
      'ISTIO_CPU_LIMIT',
      'limits.cpu',
      has(plan.release, 'cpuLimitDivisor') ? '1' : undefined,
    ),
    envField('SERVICE_ACCOUNT', 'spec.serviceAccountName', false),
    envValue('ISTIO_META_WORKLOAD_NAME', g.name),
    envValue(
      'ISTIO_META_OWNER',
      `kubernetes://apis/apps/v1/namespaces/${g.namespace}/deployments/${g.name}`,
    ),
    envValue('ISTIO_META_MESH_ID', p.meshId),
    envValue('TRUST_DOMAIN', p.trustDomain),
  ];
  const s = g.settings;
  if (!s.runAsRoot) env.push(envValue('ISTIO_META_UNPRIVILEGED_POD', 'true'));
  // The chart's order: the gateway's env, then proxyMetadata (each sorted),
  // the network unless the gateway's env names one, cluster ID, node name.
  env.push(...s.env);
  for (const m of p.proxyMetadata) env.push(envValue(m.name, m.value));
  if (p.network && !s.envSetsNetwork) {
    env.push(envValue('ISTIO_META_NETWORK', p.network));
  }
  env.push(
    envValue('ISTIO_META_CLUSTER_ID', p.clusterName),
    envField('ISTIO_META_NODE_NAME', 'spec.nodeName', false),
  );
  return env;
}

/**
 * The pod security context of a gateway not run as root: the proxy's UID
 * and GID 1337, except on OpenShift, which assigns them from the
 * namespace's range; always runAsNonRoot.
 */
function podSecurityContext(openshift: boolean): JsonObject {
  return openshift
    ? { runAsNonRoot: true }
    : { runAsUser: 1337, runAsGroup: 1337, runAsNonRoot: true };
}

function gatewayDeployment(
  plan: RenderPlan,
  g: GatewayPlan,
  labels: Record<string, string>,
): K8sObject {
  const s = g.settings;
  const runAsRoot = s.runAsRoot;
  const ports: JsonObject[] = s.ports.map((p) => ({
    containerPort: (p.targetPort ?? p.port) as Json,
    protocol: (p.protocol ?? 'TCP') as Json,
  }));
  ports.push({ containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' });
  const policy = g.pullPolicy;
  const container: JsonObject = {
    name: 'istio-proxy',
    image: g.image,
    ...(policy ? { imagePullPolicy: policy } : {}),
    ports,
    args: [
      'proxy',
      'router',
      '--domain',
      `$(POD_NAMESPACE).svc.${plan.proxy.clusterDomain}`,
      `--proxyLogLevel=${plan.proxy.logLevel}`,
      `--proxyComponentLogLevel=${plan.proxy.componentLogLevel}`,
      `--log_output_level=${plan.proxy.agentLogLevel}`,
      ...(plan.proxy.logAsJson ? ['--log_as_json'] : []),
    ],
    // A gateway run as root (to bind ports below 1024) gets no security
    // context at all, pod or container, as in the 1.27 charts.
    ...(runAsRoot
      ? {}
      : {
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            privileged: false,
            readOnlyRootFilesystem: true,
          },
        }),
    readinessProbe: {
      failureThreshold: 30,
      httpGet: { path: '/healthz/ready', port: 15021, scheme: 'HTTP' },
      initialDelaySeconds: 1,
      periodSeconds: 2,
      successThreshold: 1,
      timeoutSeconds: 1,
    },
    resources: s.resources,
    env: gatewayEnv(plan, g),
    volumeMounts: [
      { name: 'workload-socket', mountPath: '/var/run/secrets/workload-spiffe-uds' },
      { name: 'credential-socket', mountPath: '/var/run/secrets/credential-uds' },
      { name: 'workload-certs', mountPath: '/var/run/secrets/workload-spiffe-credentials' },
      { name: 'istio-envoy', mountPath: '/etc/istio/proxy' },
      { name: 'config-volume', mountPath: '/etc/istio/config' },
      { name: 'istiod-ca-cert', mountPath: '/var/run/secrets/istio' },
      { name: 'istio-token', mountPath: '/var/run/secrets/tokens', readOnly: true },
      { name: 'istio-data', mountPath: '/var/lib/istio/data' },
      { name: 'podinfo', mountPath: '/etc/istio/pod' },
      ...s.secretVolumes.map((sv) => ({ name: sv.name, mountPath: sv.mountPath, readOnly: true })),
    ],
  };
  const podLabels: Record<string, string> = {
    ...labels,
    'service.istio.io/canonical-name': g.name,
    // A gateway's own `version` label names its revision of the service, as in Istio's chart.
    'service.istio.io/canonical-revision': labels.version || plan.revision || 'latest',
    'sidecar.istio.io/inject': 'false',
    'istio.io/rev': revLabel(plan.revision),
    [LABELS.component]: g.component,
    'istio.io/dataplane-mode': 'none',
  };
  const podAnnotations: Record<string, string> = {
    'prometheus.io/port': '15020',
    'prometheus.io/scrape': 'true',
    'prometheus.io/path': '/stats/prometheus',
    'sidecar.istio.io/inject': 'false',
    'istio.io/rev': revLabel(plan.revision),
    ...s.podAnnotations,
  };
  const podSpec: JsonObject = {
    ...(runAsRoot ? {} : { securityContext: podSecurityContext(s.openshift) }),
    serviceAccountName: `${g.name}-service-account`,
    containers: [container],
    volumes: [
      { name: 'workload-socket', emptyDir: {} },
      { name: 'credential-socket', emptyDir: {} },
      { name: 'workload-certs', emptyDir: {} },
      {
        name: 'istiod-ca-cert',
        configMap: { name: plan.proxy.trustBundleName },
      },
      {
        name: 'podinfo',
        downwardAPI: {
          items: [
            { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
            { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
          ],
        },
      },
      { name: 'istio-envoy', emptyDir: {} },
      { name: 'istio-data', emptyDir: {} },
      {
        name: 'istio-token',
        projected: {
          sources: [
            {
              serviceAccountToken: {
                audience: plan.proxy.tokenAudience,
                expirationSeconds: 43200,
                path: 'istio-token',
              },
            },
          ],
        },
      },
      {
        name: 'config-volume',
        configMap: { name: plan.revision ? `istio-${plan.revision}` : 'istio', optional: true },
      },
      ...s.secretVolumes.map((sv) => ({
        name: sv.name,
        secret: { secretName: sv.secretName, optional: true },
      })),
    ],
  };
  if (g.affinity) podSpec.affinity = g.affinity;
  if (s.tolerations.length) podSpec.tolerations = s.tolerations;
  if (s.priorityClassName) podSpec.priorityClassName = s.priorityClassName;
  const spec: JsonObject = {
    selector: { matchLabels: labels },
    strategy: {
      rollingUpdate: { maxSurge: s.maxSurge, maxUnavailable: s.maxUnavailable },
    },
    template: { metadata: { labels: podLabels, annotations: podAnnotations }, spec: podSpec },
  };
  const template = s.injectionTemplate;
  if (template) {
    // The proxy is injected at admission from the named template: the pod
    // only asks for injection and keeps what is gateway-specific.
    injected(podLabels, podAnnotations, template);
    container.image = 'auto';
    container.env = [
      ...(runAsRoot ? [] : [envValue('ISTIO_META_UNPRIVILEGED_POD', 'true')]),
      ...s.env,
    ];
    container.volumeMounts = s.secretVolumes.map((sv) => ({
      name: sv.name,
      mountPath: sv.mountPath,
      readOnly: true,
    }));
    for (const k of ['args', 'readinessProbe', 'imagePullPolicy']) delete container[k];
    podSpec.volumes = s.secretVolumes.map((sv) => ({
      name: sv.name,
      secret: { secretName: sv.secretName, optional: true },
    }));
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: g.name,
      namespace: g.namespace,
      labels: {
        ...labels,
        ...(template ? {} : { 'istio.io/dataplane-mode': 'none' }),
        release: 'istio',
      },
    },
    spec,
  };
}

/** Turns the pod's labels and annotations into a request for injection from `template`. */
function injected(
  labels: Record<string, string>,
  annotations: Record<string, string>,
  template: string,
): void {
  for (const m of [labels, annotations]) {
    delete m['istio.io/rev'];
    delete m['istio.io/dataplane-mode'];
    m['sidecar.istio.io/inject'] = 'true';
  }
  annotations['inject.istio.io/templates'] = template;
}

function gatewayService(g: GatewayPlan, labels: Record<string, string>): K8sObject {
  const annotations = g.settings.serviceAnnotations;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: g.name,
      namespace: g.namespace,
      labels: { ...labels, release: 'istio' },
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    spec: {
      type: g.settings.serviceType,
      selector: labels,
      ports: g.settings.ports.map((p) => {
        const out: JsonObject = {};
        for (const k of [
          'name',
          'port',
          'protocol',
          'targetPort',
          'nodePort',
          'appProtocol',
        ] as const) {
          if (p[k] !== undefined) out[k] = p[k]!;
        }
        return out;
      }),
    },
  };
}

/**
 * One ingress or egress gateway: ServiceAccount, Role/RoleBinding `<gw>-sds`
 * (read its TLS secrets), Deployment running `istio-proxy` as a router,
 * Service (LoadBalancer for ingress, ClusterIP for egress, by default),
 * HPA while autoscaling, and PDB. With
 * `values.gateways.<gw>.injectionTemplate` the proxy container is left to
 * the injector (image `auto`, annotation `inject.istio.io/templates`).
 */
export function renderGateway(plan: RenderPlan, g: GatewayPlan): K8sObject[] {
  const labels = g.settings.labels;
  const meta = (name: string) => ({
    name,
    namespace: g.namespace,
    labels: { ...labels, release: 'istio' },
  });
  const sa = `${g.name}-service-account`;
  const sdsMeta = { name: `${g.name}-sds`, namespace: g.namespace, labels: { release: 'istio' } };
  const out: K8sObject[] = [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta(sa),
      ...pullSecretsField(plan),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: sdsMeta,
      rules: [rule([''], ['secrets'], ['get', 'watch', 'list'])],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: sdsMeta,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${g.name}-sds` },
      subjects: [{ kind: 'ServiceAccount', name: sa }],
    },
    gatewayDeployment(plan, g, labels),
    gatewayService(g, labels),
  ];
  if (g.settings.scaling.hpa) {
    out.push(
      renderHpa(g.name, g.namespace, { ...labels, release: 'istio' }, g.settings.scaling.hpa),
    );
  }
  if (plan.networkPolicy) {
    const ingress = g.component === 'IngressGateways';
    out.push(
      renderNetworkPolicy({
        name: policyName(g.name, plan.revision),
        namespace: g.namespace,
        labels: {
          app: g.name,
          istio: ingress ? 'ingressgateway' : 'egressgateway',
          release: 'istio',
        },
        podSelector: labels,
        // Readiness, then stats and Envoy's Prometheus port, then each Service port's target.
        rules: [
          [[15021]],
          [[15020], [15090]],
          ...g.settings.ports.map((p): [number | string, string?][] => [
            [
              (p.targetPort ?? p.port) as number | string,
              typeof p.protocol === 'string' && p.protocol ? p.protocol : 'TCP',
            ],
          ]),
        ],
      }),
    );
  }
  if (g.settings.scaling.pdb) {
    out.push(renderPdb(g.name, g.namespace, { ...labels, release: 'istio' }, labels));
  }
  return out;
}
