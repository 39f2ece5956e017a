import { gatewayTemplate } from './gateway.js';
import { kubeGatewayTemplate, waypointTemplate } from './gateway-deployment.js';
import { grpcAgentTemplate, grpcSimpleTemplate } from './grpc.js';
import { sidecarTemplate } from './sidecar.js';

/**
 * Every template istiod 1.27 reads from the injector ConfigMap, by name.
 * The pod templates: `sidecar` is the default; pods pick others with the
 * annotation `inject.istio.io/templates`. `kube-gateway` and `waypoint`
 * are what istiod's Gateway API deployment controller renders per Gateway
 * (without them it cannot deploy gateways or waypoints).
 */
export function injectionTemplates(): Record<string, string> {
  return {
    sidecar: sidecarTemplate,
    gateway: gatewayTemplate,
    'grpc-simple': grpcSimpleTemplate,
    'grpc-agent': grpcAgentTemplate,
    waypoint: waypointTemplate,
    'kube-gateway': kubeGatewayTemplate,
  };
}
