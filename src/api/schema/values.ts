/**
 * Schema of `spec.values`: the Helm values tree, with the field names and
 * types of Istio 1.27's values API. Unknown keys are errors, as they are for
 * istioctl. A few 1.23-era keys are kept (marked "Deprecated") so old files
 * still parse; the validator warns about them and names their new place.
 */
import {
  anyValue,
  bool,
  int32,
  int64,
  intOrString,
  list,
  num,
  obj,
  oneOf,
  open,
  openList,
  str,
  stringMap,
  uint32,
  type JSONSchemaProps,
} from './props.js';
import { k8sList, k8sType } from './k8s-types.js';

/** A Go duration such as 30s, 1h30m or 1.5h. */
export const DURATION_PATTERN = '^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$';

const tag = () => intOrString('Image tag (a string; numbers are accepted).');
const resources = (d?: string) =>
  obj({ limits: stringMap(), requests: stringMap() }, d ?? 'Container resource limits/requests.');
const utilization = () => obj({ targetAverageUtilization: int32() });
const loggingConfig = () => obj({ level: str('Comma-separated <scope>:<level> pairs.') });

const portsConfig = obj({
  name: str(),
  port: int32({ minimum: 0, maximum: 65535 }),
  nodePort: int32({ minimum: 0, maximum: 65535 }),
  targetPort: int32({ minimum: 0, maximum: 65535 }),
  protocol: str(),
});

// A pod's nodeSelector: Kubernetes takes label values as strings only.
const nodeSelector = () => stringMap('Node labels the pods must match (Kubernetes nodeSelector).');

// The gateway charts' podAntiAffinity* items: not a Kubernetes type but the
// fields the chart's _affinity.tpl reads, `values` a comma-separated list.
// (istioctl 1.29+ checks these against LabelSelector, which refuses the
// chart's own documented form.)
const antiAffinityTerm = obj({
  key: str('Label key.'),
  operator: str('In, NotIn, Exists or DoesNotExist.'),
  values: str('Comma-separated label values.'),
  topologyKey: str('Node label of the topology domain, e.g. kubernetes.io/hostname.'),
  namespaces: str('Comma-separated namespaces (required terms only).'),
});

const secretVolume = obj({ mountPath: str(), name: str(), secretName: str() });

// Fields shared by values.gateways.istio-ingressgateway and …istio-egressgateway.
const gatewayCommon: Record<string, JSONSchemaProps> = {
  autoscaleEnabled: bool('Install a HorizontalPodAutoscaler for the gateway.'),
  autoscaleMax: uint32(),
  autoscaleMin: uint32(),
  memory: utilization(),
  cpu: utilization(),
  customService: bool(),
  enabled: bool('Alternative switch that force-enables the gateway.'),
  env: open('Environment variables of the proxy container, as a map.'),
  labels: stringMap(),
  name: str(),
  nodeSelector: nodeSelector(),
  podAnnotations: open(),
  podAntiAffinityLabelSelector: list(
    antiAffinityTerm,
    "Required pod anti-affinity terms, in the chart's own form.",
  ),
  podAntiAffinityTermLabelSelector: list(
    antiAffinityTerm,
    "Preferred pod anti-affinity terms, in the chart's own form.",
  ),
  ports: list(portsConfig, 'Service ports of the gateway (replace the defaults).'),
  secretVolumes: list(secretVolume),
  serviceAnnotations: open(),
  type: str('Service type.'),
  tolerations: k8sList('V1Toleration', 'Pod tolerations (Kubernetes Toleration).'),
  rollingMaxSurge: intOrString(),
  rollingMaxUnavailable: intOrString(),
  configVolumes: openList(),
  additionalContainers: openList(),
  runAsRoot: bool('Run the proxy as root, needed for container ports below 1024.'),
  injectionTemplate: str(),
  serviceAccount: obj({ annotations: open() }),
  ipFamilies: list(str()),
  ipFamilyPolicy: str(),
  zvpn: obj({ enabled: bool(), suffix: str() }, 'Deprecated (Istio 1.23): no effect.'),
};

const ingressGateway = obj(
  {
    ...gatewayCommon,
    loadBalancerIP: str(),
    loadBalancerSourceRanges: list(str()),
    replicaCount: uint32(),
    externalTrafficPolicy: str(),
    ingressPorts: openList(),
    resources: k8sType(
      'V1ResourceRequirements',
      'Compute resources (Kubernetes ResourceRequirements).',
    ),
  },
  'Values of the ingress gateway chart.',
);

const egressGateway = obj(
  { ...gatewayCommon, resources: resources() },
  'Values of the egress gateway chart.',
);

const tracer = obj({
  datadog: obj({ address: str() }),
  lightstep: obj({ address: str(), accessToken: str() }),
  zipkin: obj({ address: str() }),
});

const proxy = obj(
  {
    seccompProfile: k8sType(
      'V1SeccompProfile',
      'Seccomp profile of injected proxies (Istio 1.29+; Kubernetes SeccompProfile).',
    ),
    autoInject: str(),
    clusterDomain: str(),
    componentLogLevel: str(),
    enableCoreDump: bool(),
    excludeInboundPorts: str('Comma-separated inbound ports not to capture.'),
    excludeIPRanges: str('Comma-separated CIDRs (or *) not to capture.'),
    excludeOutboundPorts: str(),
    image: str(),
    includeIPRanges: str('Comma-separated CIDRs (or *) to capture.'),
    includeInboundPorts: str('Comma-separated inbound ports to capture, or *.'),
    includeOutboundPorts: str(),
    logLevel: str(),
    outlierLogPath: str(),
    privileged: bool(),
    readinessInitialDelaySeconds: uint32(),
    readinessPeriodSeconds: uint32(),
    readinessFailureThreshold: uint32(),
    startupProbe: obj({ enabled: bool(), failureThreshold: uint32() }),
    statusPort: uint32(),
    resources: resources(),
    tracer: oneOf(
      ['zipkin', 'lightstep', 'datadog', 'stackdriver', 'openCensusAgent', 'none'],
      'Tracer of the proxies.',
    ),
    lifecycle: k8sType(
      'V1Lifecycle',
      'Lifecycle hooks of the proxy container (Kubernetes Lifecycle).',
    ),
    holdApplicationUntilProxyStarts: bool(
      'Deprecated: use meshConfig.defaultConfig.holdApplicationUntilProxyStarts.',
    ),
    // 1.23-era keys, translated to meshConfig with a warning.
    accessLogFile: str('Deprecated (Istio 1.23): use meshConfig.accessLogFile.'),
    accessLogFormat: str('Deprecated (Istio 1.23): use meshConfig.accessLogFormat.'),
    accessLogEncoding: str('Deprecated (Istio 1.23): use meshConfig.accessLogEncoding.'),
    concurrency: int32('Deprecated (Istio 1.23): use meshConfig.defaultConfig.concurrency.'),
    envoyAccessLogService: open(
      'Deprecated (Istio 1.23): use meshConfig.defaultConfig.envoyAccessLogService.',
    ),
    envoyMetricsService: open(
      'Deprecated (Istio 1.23): use meshConfig.defaultConfig.envoyMetricsService.',
    ),
    protocolDetectionTimeout: str(
      'Deprecated (Istio 1.23): use meshConfig.protocolDetectionTimeout.',
    ),
  },
  'How sidecar and gateway proxies are configured.',
);

const global = obj(
  {
    networkPolicy: obj(
      { enabled: bool('Render NetworkPolicies for the components.') },
      'Istio 1.28+.',
    ),
    resourceScope: str({
      description: 'Which objects the charts render: all, cluster or namespace (Istio 1.28+).',
      enum: ['undefined', 'all', 'cluster', 'namespace'],
    }),
    agentgateway: obj({ image: str() }, 'Istio 1.29+.'),
    enableReaderRBAC: bool(
      'Render the reader ServiceAccount and RBAC (Istio 1.30+; default true).',
    ),
    readerServiceAccount: obj(
      { name: str(), namespace: str() },
      'Bind the reader ClusterRole to this ServiceAccount instead of creating istio-reader-service-account (Istio 1.31+).',
    ),
    arch: obj(
      { amd64: uint32(), ppc64le: uint32(), s390x: uint32(), arm64: uint32() },
      'Deprecated: use k8s.affinity.',
    ),
    certSigners: list(str()),
    configValidation: bool('Install the config validation webhook.'),
    defaultNodeSelector: nodeSelector(),
    defaultPodDisruptionBudget: obj({ enabled: bool() }),
    defaultResources: obj({ requests: obj({ cpu: str(), memory: str() }) }),
    defaultTolerations: k8sList('V1Toleration', 'Default pod tolerations (Kubernetes Toleration).'),
    hub: str(),
    imagePullPolicy: str(),
    imagePullSecrets: list(str()),
    istioNamespace: str('Namespace of the control plane.'),
    logAsJson: bool(),
    logging: loggingConfig(),
    meshID: str(),
    meshNetworks: open(),
    multiCluster: obj({
      enabled: bool(),
      clusterName: str(),
      globalDomainSuffix: str(),
      includeEnvoyFilter: bool(),
    }),
    network: str(),
    podDNSSearchNamespaces: list(str()),
    omitSidecarInjectorConfigMap: bool(),
    operatorManageWebhooks: bool(),
    priorityClassName: str(),
    proxy,
    proxy_init: obj({ image: str(), resources: resources() }),
    sds: obj({ token: open() }),
    tag: tag(),
    variant: str('debug or distroless.'),
    tracer,
    remotePilotAddress: str(),
    istiod: obj({ enableAnalysis: bool() }),
    pilotCertProvider: str(),
    jwtPolicy: str('Deprecated: has no effect.'),
    sts: obj({ servicePort: uint32() }),
    revision: str(),
    mountMtlsCerts: bool(),
    caAddress: str(),
    externalIstiod: bool(),
    configCluster: bool(),
    caName: str(),
    platform: oneOf(
      ['', 'gke', 'k3d', 'k3s', 'microk8s', 'minikube', 'openshift'],
      'Platform whose chart defaults to apply.',
    ),
    ipFamilies: list(str()),
    ipFamilyPolicy: str(),
    waypoint: obj({
      resources: resources(),
      affinity: k8sType('V1Affinity'),
      topologySpreadConstraints: k8sList('V1TopologySpreadConstraint'),
      nodeSelector: nodeSelector(),
      toleration: k8sList('V1Toleration'),
    }),
    trustBundleName: str(),
    nativeNftables: bool(),
    // 1.23-era keys: accepted with a warning (translated where a new place exists).
    certificates: openList('Deprecated (Istio 1.23): use meshConfig.certificates.'),
    outboundTrafficPolicy: obj(
      { mode: str() },
      'Deprecated (Istio 1.23): use meshConfig.outboundTrafficPolicy.',
    ),
    localityLbSetting: open('Deprecated (Istio 1.23): use meshConfig.localityLbSetting.'),
    policyCheckFailOpen: bool('Deprecated (Istio 1.23): no effect (Mixer is gone).'),
    enableTracing: bool('Deprecated (Istio 1.23): use meshConfig.enableTracing.'),
    centralIstiod: bool('Deprecated (Istio 1.23): use values.global.externalIstiod.'),
    mtls: obj(
      { auto: bool(), enabled: bool() },
      'Deprecated (Istio 1.23): use meshConfig.enableAutoMtls and PeerAuthentication.',
    ),
    meshExpansion: obj(
      { enabled: bool(), useILB: bool() },
      'Deprecated (Istio 1.23): install an east-west gateway instead.',
    ),
    configRootNamespace: str('Deprecated (Istio 1.23): no effect.'),
    defaultConfigVisibilitySettings: list(str(), 'Deprecated (Istio 1.23): no effect.'),
    oneNamespace: bool('Deprecated (Istio 1.23): no effect.'),
    useMCP: bool('Deprecated (Istio 1.23): no effect.'),
    autoscalingv2API: bool('Deprecated (Istio 1.23): no effect.'),
  },
  'Settings shared by all Istio components.',
);

const cni = obj(
  {
    daemonSetLabels: stringMap('Extra labels on the DaemonSet (Istio 1.28+).'),
    podLabels: stringMap('Extra labels on the node agent pods (Istio 1.28+).'),
    useAppArmorAnnotation: bool(
      'AppArmor unconfined through the pod annotation, else the securityContext field (Istio 1.30+).',
    ),
    enabled: bool(),
    hub: str(),
    tag: tag(),
    variant: str(),
    image: str(),
    pullPolicy: str(),
    cniBinDir: str(),
    cniConfDir: str(),
    cniConfFileName: str(),
    cniNetnsDir: str(),
    excludeNamespaces: list(str()),
    affinity: k8sType('V1Affinity', 'Node agent pod affinity (Kubernetes Affinity).'),
    env: open(),
    podAnnotations: open(),
    psp_cluster_role: str(),
    pspClusterRole: str(),
    logLevel: str(),
    logging: loggingConfig(),
    repair: obj({
      enabled: bool(),
      hub: str(),
      tag: tag(),
      image: str(),
      labelPods: bool(),
      repairPods: bool(),
      createEvents: str(),
      deletePods: bool(),
      brokenPodLabelKey: str(),
      brokenPodLabelValue: str(),
      initContainerName: str(),
    }),
    chained: bool(),
    resource_quotas: obj({ enabled: bool(), pods: int64() }),
    resourceQuotas: obj({ enabled: bool(), pods: int64() }),
    resources: resources(),
    privileged: bool(),
    seccompProfile: k8sType('V1SeccompProfile'),
    ambient: obj({
      enabled: bool(),
      configDir: str(),
      dnsCapture: bool(),
      ipv6: bool(),
      reconcileIptablesOnStartup: bool(),
    }),
    provider: str('default or multus.'),
    rollingMaxUnavailable: intOrString(),
    istioOwnedCNIConfig: bool(),
    istioOwnedCNIConfigFileName: str(),
  },
  'Values of the istio-cni chart.',
);

const cniUsage = obj({ enabled: bool(), chained: bool(), provider: str() });

const istiodRemote = obj({
  injectionURL: str(),
  injectionPath: str(),
  injectionCABundle: str(),
  enabled: bool(),
  enabledLocalInjectorIstiod: bool(),
});

const pilot = obj(
  {
    enabled: bool(),
    autoscaleEnabled: bool('Install a HorizontalPodAutoscaler for istiod.'),
    autoscaleMin: uint32(),
    autoscaleMax: uint32(),
    autoscaleBehavior: k8sType(
      'V2HorizontalPodAutoscalerBehavior',
      'HPA behavior (Kubernetes autoscaling/v2 HorizontalPodAutoscalerBehavior).',
    ),
    replicaCount: uint32(),
    image: str(),
    traceSampling: num('Percentage of requests traced, 0.0 to 100.0.'),
    resources: resources(),
    cpu: utilization(),
    nodeSelector: nodeSelector(),
    keepaliveMaxServerConnectionAge: str({
      description: 'Duration, e.g. 30m.',
      pattern: DURATION_PATTERN,
    }),
    deploymentLabels: open(),
    podLabels: open(),
    configMap: bool(),
    env: open('Environment variables of istiod, as a map.'),
    affinity: k8sType('V1Affinity', 'istiod pod affinity (Kubernetes Affinity).'),
    rollingMaxSurge: intOrString(),
    rollingMaxUnavailable: intOrString(),
    tolerations: k8sList('V1Toleration', 'istiod pod tolerations (Kubernetes Toleration).'),
    podAnnotations: open(),
    serviceAnnotations: open(),
    serviceAccountAnnotations: open(),
    jwksResolverExtraRootCA: str(),
    hub: str(),
    tag: tag(),
    variant: str(),
    seccompProfile: k8sType('V1SeccompProfile'),
    topologySpreadConstraints: k8sList('V1TopologySpreadConstraint'),
    extraContainerArgs: list(anyValue()),
    volumeMounts: k8sList(
      'V1VolumeMount',
      'Extra volume mounts of istiod (Kubernetes VolumeMount).',
    ),
    volumes: k8sList('V1Volume', 'Extra volumes of the istiod pod (Kubernetes Volume).'),
    ipFamilies: list(str()),
    ipFamilyPolicy: str(),
    memory: utilization(),
    cni: cniUsage,
    taint: obj({ enabled: bool(), namespace: str(), name: str('Istio 1.30+.') }),
    crlConfigMapName: str('ConfigMap of the CA revocation list istiod reads (Istio 1.29+).'),
    trustedZtunnelNamespace: str(),
    istiodRemote,
    envVarFrom: k8sList('V1EnvVar', 'Extra environment variables of istiod (Kubernetes EnvVar).'),
    // 1.23-era key: removed.
    ingress: open('Deprecated (Istio 1.23): no effect; use a Gateway.'),
    configNamespace: str('Deprecated (Istio 1.23): no effect.'),
    useMCP: bool('Deprecated (Istio 1.23): no effect.'),
    enableProtocolSniffingForOutbound: bool(
      'Deprecated (Istio 1.23): use meshConfig.protocolDetectionTimeout / port naming.',
    ),
    enableProtocolSniffingForInbound: bool(
      'Deprecated (Istio 1.23): use meshConfig.protocolDetectionTimeout / port naming.',
    ),
    configSource: obj({ subscribedResources: list(str()) }, 'Deprecated (Istio 1.23): no effect.'),
  },
  'Values of the istio-discovery (istiod) chart.',
);

const telemetry = obj({
  enabled: bool(),
  v2: obj({
    enabled: bool(),
    prometheus: obj({ enabled: bool() }),
    stackdriver: obj({ enabled: bool() }),
  }),
});

const sidecarInjectorWebhook = obj({
  enableNamespacesByDefault: bool(),
  reinvocationPolicy: str(),
  neverInjectSelector: k8sList('V1LabelSelector', 'Pods matching one are never injected.'),
  alwaysInjectSelector: k8sList('V1LabelSelector', 'Pods matching one are always injected.'),
  rewriteAppHTTPProbe: bool(),
  injectedAnnotations: open(),
  injectionURL: str(),
  templates: open(),
  defaultTemplates: list(str()),
  objectSelector: open('Deprecated (Istio 1.23): no effect.'),
  useLegacySelectors: bool('Deprecated (Istio 1.23): no effect.'),
});

const base = obj({
  enableCRDTemplates: bool(),
  excludedCRDs: list(str()),
  validationURL: str(),
  enableIstioConfigCRDs: bool(),
  validateGateway: bool(),
  validationCABundle: str(),
});

/** `spec.values`: the Helm values tree, closed like istioctl's strict decoding. */
export const valuesSchema: JSONSchemaProps = obj(
  {
    cni,
    gateways: obj({
      'istio-egressgateway': egressGateway,
      enabled: bool(),
      'istio-ingressgateway': ingressGateway,
      securityContext: anyValue(),
      seccompProfile: anyValue(),
    }),
    global,
    pilot,
    ztunnel: open('Values of the ztunnel chart (free-form).'),
    telemetry,
    sidecarInjectorWebhook,
    istio_cni: obj(
      { enabled: bool(), chained: bool(), provider: str() },
      'Deprecated: use values.pilot.cni.',
    ),
    revision: str(),
    ownerName: str(),
    meshConfig: open('MeshConfig; spec.meshConfig is merged into it.'),
    base,
    istiodRemote,
    revisionTags: list(str(), 'Revision tags pointing at this revision.'),
    defaultRevision: str(),
    profile: str('Chart-level profile (set by the built-in profiles).'),
    compatibilityVersion: str(),
    experimental: obj({ stableValidationPolicy: bool() }),
    gatewayClasses: anyValue(),
    // 1.23-era key: removed.
    istiocoredns: obj({ enabled: bool() }, 'Deprecated (Istio 1.23): use DNS proxying.'),
  },
  'Helm values of the Istio charts, checked against the values API of Istio 1.27.',
);
