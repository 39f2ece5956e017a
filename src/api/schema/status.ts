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

const count = () => int64({ minimum: 0 });

/** `status.proxies`: see ProxiesStatus in api/types.ts. */
const proxiesSchema: JSONSchemaProps = obj(
  {
    revision: str('The revision this IstioOperator injects (default for none).'),
    version: str('The proxy version it injects.'),
    pods: count(),
    stalePods: count(),
    staleWorkloads: count(),
    workloads: list(
      obj({
        namespace: str(),
        kind: str(),
        name: str(),
        pods: count(),
        stalePods: count(),
        from: str(),
        to: str(),
      }),
      { maxItems: 20 },
    ),
    restart: obj(
      {
        policy: str(),
        phase: str(),
        message: str({ maxLength: 32768 }),
        target: str(),
        inFlight: list(str(), { maxItems: 100 }),
        restarted: count(),
        lastBatchDoneAt: str({ format: 'date-time' }),
      },
      'The restart of stale workloads (install.istio.io/restart-workloads).',
    ),
  },
  'Pods this IstioOperator injects and how many still run an old proxy (issue 27).',
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
    proxies: proxiesSchema,
  },
  'Install state, written by the operator.',
);
