import { gatewayTemplate } from './gateway.js';
import { grpcAgentTemplate, grpcSimpleTemplate } from './grpc.js';
import { sidecarTemplate } from './sidecar.js';

/**
 * The pod templates istiod's injector executes, by name. `sidecar` is the
 * default; pods pick others with the annotation `inject.istio.io/templates`.
 */
export function injectionTemplates(): Record<string, string> {
  return {
    sidecar: sidecarTemplate,
    gateway: gatewayTemplate,
    'grpc-simple': grpcSimpleTemplate,
    'grpc-agent': grpcAgentTemplate,
  };
}
