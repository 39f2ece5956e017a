import { int64, mapOf, list, obj, oneOf, str, type JSONSchemaProps } from './props.js';

/** The install states of Istio's InstallStatus enum. */
export const INSTALL_STATES = [
  'NONE',
  'UPDATING',
  'RECONCILING',
  'HEALTHY',
  'ERROR',
  'ACTION_REQUIRED',
];

const conditionSchema: JSONSchemaProps = obj(
  {
    type: str({
      maxLength: 316,
      pattern:
        '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
    }),
    status: oneOf(['True', 'False', 'Unknown']),
    observedGeneration: int64({ minimum: 0 }),
    lastTransitionTime: str({ format: 'date-time' }),
    reason: str({
      minLength: 1,
      maxLength: 1024,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
    }),
    message: str({ maxLength: 32768 }),
  },
  { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
);

/** `status` of IstioOperator, written by the operator. */
export const statusSchema: JSONSchemaProps = obj(
  {
    status: oneOf(INSTALL_STATES, 'Overall install state.'),
    message: str('Human-readable detail of the overall state.'),
    componentStatus: mapOf(
      obj({
        status: oneOf(INSTALL_STATES),
        error: str(),
        version: str(),
      }),
      'State per component (Base, Pilot, Cni, Ztunnel, IngressGateways, EgressGateways).',
    ),
    observedGeneration: int64({ description: 'The spec generation the status describes.' }),
    conditions: list(conditionSchema, {
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    }),
  },
  'Install state, written by the operator.',
);
