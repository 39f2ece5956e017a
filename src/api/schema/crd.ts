import { obj, str, type JSONSchemaProps } from './props.js';
import { specSchema } from './spec.js';
import { statusSchema } from './status.js';
import { GROUP, IOP_RESOURCE, KIND, VERSION } from '../vocabulary.js';

/** The complete openAPIV3Schema of the IstioOperator CRD. */
export const istioOperatorSchema: JSONSchemaProps = obj(
  {
    apiVersion: str(),
    kind: str(),
    metadata: { type: 'object' },
    spec: specSchema,
    status: statusSchema,
  },
  'IstioOperator describes an Istio installation: a profile plus overrides.',
);

/** Name of the CRD. */
export const CRD_NAME = `istiooperators.${GROUP}`;

/**
 * The IstioOperator CustomResourceDefinition. crds/ holds this object as
 * YAML (written by scripts/write-crd.ts, checked by a unit test), so the API
 * server and the validator use the same schema.
 */
export function istioOperatorCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: CRD_NAME },
    spec: {
      group: GROUP,
      names: {
        kind: KIND,
        listKind: `${KIND}List`,
        plural: IOP_RESOURCE.plural,
        singular: 'istiooperator',
        shortNames: ['iop', 'io'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            {
              name: 'Revision',
              type: 'string',
              jsonPath: '.spec.revision',
              description: 'Control plane revision',
            },
            {
              name: 'Profile',
              type: 'string',
              jsonPath: '.spec.profile',
              description: 'Built-in profile',
            },
            {
              name: 'Status',
              type: 'string',
              jsonPath: '.status.status',
              description: 'Install state',
            },
            {
              name: 'Ready',
              type: 'string',
              jsonPath: '.status.conditions[?(@.type=="Ready")].status',
              description: 'Whether every component is healthy',
            },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: { openAPIV3Schema: istioOperatorSchema },
        },
      ],
    },
  };
}
