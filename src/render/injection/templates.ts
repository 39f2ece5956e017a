import type { IstioRelease } from '../../releases/catalog.js';
import { has } from '../../releases/changes.js';
import { gatewayTemplate } from './gateway.js';
import {
  agentgatewayTemplate,
  agentgatewayWaypointTemplate,
  kubeGatewayTemplate,
  waypointTemplate,
} from './gateway-deployment.js';
import { grpcAgentTemplate, grpcSimpleTemplate } from './grpc.js';
import { sidecarTemplate } from './sidecar.js';

/**
 * Every template istiod of a release line reads from the injector
 * ConfigMap, by name. The pod templates: `sidecar` is the default; pods
 * pick others with the annotation `inject.istio.io/templates`.
 * `kube-gateway` and `waypoint` (and from 1.29 `agentgateway`, for the
 * `istio-agentgateway` class; from 1.31 `agentgateway-waypoint`, for
 * `istio-agentgateway-waypoint`) are what istiod's Gateway API deployment
 * controller renders per Gateway (without them it cannot deploy gateways or
 * waypoints). Each line's text differs where that line's templates yield
 * something else (src/releases/changes.ts); 1.27's is the base.
 */
export function injectionTemplates(release: IstioRelease): Record<string, string> {
  return {
    sidecar: sidecarTemplate(release),
    gateway: gatewayTemplate(release),
    'grpc-simple': grpcSimpleTemplate,
    'grpc-agent': grpcAgentTemplate(release),
    waypoint: waypointTemplate(release),
    'kube-gateway': kubeGatewayTemplate(release),
    ...(has(release, 'agentgatewayTemplate')
      ? { agentgateway: agentgatewayTemplate(release) }
      : {}),
    ...(has(release, 'agentgatewayWaypointTemplate')
      ? { 'agentgateway-waypoint': agentgatewayWaypointTemplate(release) }
      : {}),
  };
}
