import {
  anyValue,
  bool,
  int32,
  intOrString,
  list,
  mapOf,
  obj,
  oneOf,
  str,
  stringMap,
  uint32,
  type JSONSchemaProps,
} from './props.js';
import { k8sList, k8sType, quantity } from './k8s-types.js';

/** A Kubernetes Service port, as `k8s.service.ports[]` takes it. */
export const servicePortSchema: JSONSchemaProps = obj(
  {
    name: str('Port name, unique within the Service (e.g. http2, status-port).'),
    protocol: oneOf(['TCP', 'UDP', 'SCTP'], 'IP protocol; TCP when unset.'),
    appProtocol: str('Application protocol hint (e.g. http, kubernetes.io/h2c).'),
    port: int32({ description: 'Port the Service exposes.', minimum: 1, maximum: 65535 }),
    targetPort: intOrString(
      'Container port (number or name) traffic goes to; on a gateway a number below 1024 needs runAsRoot.',
    ),
    nodePort: int32({
      description: 'Node port for NodePort/LoadBalancer Services.',
      minimum: 0,
      maximum: 65535,
    }),
  },
  { required: ['port'] },
);

const serviceSchema: JSONSchemaProps = obj(
  {
    ports: list(servicePortSchema, {
      description:
        'Service ports. On a gateway these replace the default port list (and set the container ports).',
    }),
    selector: stringMap('Pod selector; defaults to the component labels.'),
    clusterIP: str(),
    clusterIPs: list(str()),
    type: oneOf(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']),
    externalIPs: list(str()),
    sessionAffinity: oneOf(['None', 'ClientIP']),
    loadBalancerIP: str(),
    loadBalancerSourceRanges: list(str()),
    externalName: str(),
    externalTrafficPolicy: oneOf(['Cluster', 'Local']),
    internalTrafficPolicy: oneOf(['Cluster', 'Local']),
    healthCheckNodePort: int32(),
    publishNotReadyAddresses: bool(),
    sessionAffinityConfig: k8sType('V1SessionAffinityConfig'),
    ipFamilies: list(str()),
    ipFamilyPolicy: oneOf(['SingleStack', 'PreferDualStack', 'RequireDualStack']),
    allocateLoadBalancerNodePorts: bool(),
    loadBalancerClass: str(),
    trafficDistribution: str(),
  },
  'Settings merged into the spec of the component Service.',
);

const quantityMap = mapOf(quantity(), 'Resource name to quantity (cpu: 100m, memory: 128Mi).');

const overlaySchema: JSONSchemaProps = obj(
  {
    apiVersion: str('API version of the target object; ignored when matching (as in Istio 1.27).'),
    kind: str('Kind of the target object, e.g. Deployment.'),
    name: str('Name of the target object.'),
    patches: list(
      obj({
        path: str(
          'Dotted path with [key:value], [value] and [N] list selectors, e.g. spec.template.spec.containers.[name:discovery].args[0].',
        ),
        value: anyValue('New value; omit to delete the path.'),
      }),
    ),
  },
  'Path patches applied to one rendered object of the component, after everything else.',
);

/** `k8s` on every component: Kubernetes settings patched onto the rendered objects. */
export const kubernetesResourcesSchema: JSONSchemaProps = obj(
  {
    affinity: k8sType('V1Affinity', 'Pod affinity (Kubernetes Affinity).'),
    env: list(
      obj(
        {
          name: str(),
          value: str(),
          valueFrom: k8sType('V1EnvVarSource', 'EnvVarSource (fieldRef, secretKeyRef, …).'),
        },
        { required: ['name'] },
      ),
      'Environment variables of the main container, merged by name.',
    ),
    hpaSpec: obj(
      {
        ...k8sType('V2HorizontalPodAutoscalerSpec').properties,
        minReplicas: int32({ minimum: 0 }),
        maxReplicas: int32({ minimum: 1 }),
      },
      'HorizontalPodAutoscaler (autoscaling/v2) spec.',
    ),
    imagePullPolicy: oneOf(['Always', 'Never', 'IfNotPresent']),
    nodeSelector: stringMap(),
    podDisruptionBudget: obj(
      {
        minAvailable: intOrString(),
        maxUnavailable: intOrString(),
        selector: k8sType('V1LabelSelector'),
        unhealthyPodEvictionPolicy: oneOf(['IfHealthyBudget', 'AlwaysAllow']),
      },
      'PodDisruptionBudget (policy/v1) spec.',
    ),
    podAnnotations: stringMap('Annotations on the pod template.'),
    priorityClassName: str(),
    readinessProbe: k8sType('V1Probe', 'Readiness probe of the main container (Kubernetes Probe).'),
    replicaCount: uint32(
      'Replicas of the Deployment; ignored by Kubernetes while an HPA scales it.',
    ),
    resources: obj(
      {
        limits: quantityMap,
        requests: quantityMap,
        claims: list(obj({ name: str(), request: str() }, { required: ['name'] })),
      },
      'Compute resources of the main container.',
    ),
    service: serviceSchema,
    strategy: obj(
      {
        type: oneOf(['RollingUpdate', 'Recreate']),
        rollingUpdate: obj({ maxUnavailable: intOrString(), maxSurge: intOrString() }),
      },
      'Deployment update strategy.',
    ),
    tolerations: k8sList('V1Toleration', 'Pod tolerations (Kubernetes Toleration).'),
    serviceAnnotations: stringMap('Annotations on the component Service.'),
    securityContext: k8sType(
      'V1PodSecurityContext',
      'Pod security context (Kubernetes PodSecurityContext).',
    ),
    volumes: k8sList('V1Volume', 'Accepted for compatibility; Istio applies it nowhere.'),
    volumeMounts: k8sList('V1VolumeMount', 'Accepted for compatibility; Istio applies it nowhere.'),
    overlays: list(overlaySchema),
  },
  'Kubernetes settings applied to the component objects after rendering.',
);
