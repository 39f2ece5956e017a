import { kubernetesResourcesSchema } from './k8s.js';
import {
  bool,
  intOrString,
  list,
  obj,
  open,
  str,
  stringMap,
  type JSONSchemaProps,
} from './props.js';
import { valuesSchema } from './values.js';

/** DNS-1123 label, as a CEL regular expression. */
export const DNS1123_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** Allowed gateway names (Istio's own rule). */
export const GATEWAY_NAME = '^[a-z0-9.-]{1,254}$';
/** `major.minor` of compatibilityVersion. */
export const MAJOR_MINOR = '^[0-9]+[.][0-9]+$';
/** Most gateways a list may hold; bounds the cost of the uniqueness rule. */
export const MAX_GATEWAYS = 64;

const hub = () => str('Image registry root, e.g. docker.io/istio; overrides spec.hub.');
const tag = () => intOrString('Image tag; overrides spec.tag.');

const componentSpec = (what: string): JSONSchemaProps =>
  obj(
    {
      enabled: bool(`Install ${what}. When this map is present the component is on unless false.`),
      namespace: str(`Namespace for ${what}; defaults to the install namespace.`),
      hub: hub(),
      tag: tag(),
      k8s: kubernetesResourcesSchema,
    },
    `Settings of ${what}.`,
  );

const gatewaySpec = (kind: 'ingress' | 'egress'): JSONSchemaProps =>
  obj(
    {
      name: str({
        description: `Gateway name: names its Deployment, Service and other objects (default istio-${kind}gateway).`,
        maxLength: 254,
        'x-kubernetes-validations': [
          {
            rule: `self.matches('${GATEWAY_NAME}')`,
            message: 'gateway name must consist of lower case letters, digits, "." and "-"',
          },
        ],
      }),
      namespace: str('Namespace of the gateway; defaults to the install namespace.'),
      label: stringMap('Labels added to the default gateway labels (and the Service selector).'),
      enabled: bool('Install this gateway; on unless false.'),
      hub: hub(),
      tag: tag(),
      k8s: kubernetesResourcesSchema,
    },
    `An ${kind} gateway.`,
  );

const gatewayList = (kind: 'ingress' | 'egress'): JSONSchemaProps =>
  list(gatewaySpec(kind), {
    description: `${kind === 'ingress' ? 'Ingress' : 'Egress'} gateways. A list here replaces the profile's list as a whole.`,
    maxItems: MAX_GATEWAYS,
    'x-kubernetes-validations': [
      {
        rule: 'self.all(g, !has(g.name) || self.exists_one(h, has(h.name) && h.name == g.name))',
        message: 'gateway names must be unique within the list',
      },
    ],
  });

/** `spec.components`. */
export const componentsSchema: JSONSchemaProps = obj(
  {
    base: obj(
      {
        enabled: bool('Install the CRDs and cluster-wide objects.'),
        k8s: kubernetesResourcesSchema,
      },
      'The base component: Istio CRDs and cluster-wide objects.',
    ),
    pilot: componentSpec('istiod (pilot)'),
    cni: componentSpec('the Istio CNI node agent'),
    ztunnel: componentSpec('the ztunnel node proxy (ambient mode)'),
    istiodRemote: componentSpec(
      'istiodRemote; Istio 1.26+ accepts but ignores it: use values.profile=remote',
    ),
    ingressGateways: gatewayList('ingress'),
    egressGateways: gatewayList('egress'),
  },
  'The components to install and their settings.',
);

/** `spec` of IstioOperator. */
export const specSchema: JSONSchemaProps = obj(
  {
    profile: str(
      'Built-in profile to start from: default, demo, minimal, empty, remote, preview, stable, ambient, openshift, openshift-ambient. Unset means default.',
    ),
    installPackagePath: str('Not supported: this operator renders components itself.'),
    hub: str('Image registry root for all components, e.g. docker.io/istio.'),
    tag: intOrString(
      'Image tag for all components; defaults to the Istio version of the operator.',
    ),
    namespace: str('Install namespace; defaults to metadata.namespace, then istio-system.'),
    revision: str({
      description: 'Control plane revision: a DNS-1123 label; empty for the default revision.',
      maxLength: 63,
      'x-kubernetes-validations': [
        {
          rule: `self == '' || self.matches('${DNS1123_LABEL}')`,
          message:
            'revision must be a DNS-1123 label: lower case letters, digits and "-", starting and ending with a letter or digit',
        },
      ],
    }),
    compatibilityVersion: str({
      description: 'Keep the defaults of an older Istio minor version, e.g. 1.25.',
      'x-kubernetes-validations': [
        {
          rule: `self.matches('${MAJOR_MINOR}')`,
          message: 'compatibilityVersion must be major.minor, e.g. 1.25',
        },
      ],
    }),
    meshConfig: open('Mesh-wide settings (Istio MeshConfig), merged into values.meshConfig.'),
    components: componentsSchema,
    values: valuesSchema,
    unvalidatedValues: open('Helm values merged in after validation, unchecked.'),
  },
  {
    description: 'What to install and how.',
    'x-kubernetes-validations': [
      {
        rule: '!has(self.installPackagePath)',
        message:
          'installPackagePath is not supported: this operator renders components itself; remove the field',
        fieldPath: '.installPackagePath',
        reason: 'FieldValueForbidden',
      },
    ],
  },
);
