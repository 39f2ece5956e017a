import type { JsonObject } from '../render/object.js';

const SMALL = { cpu: '10m', memory: '40Mi' };

/**
 * Values a chart-side profile (`values.profile`) layers over the component
 * defaults, in IstioOperator `values` shape. In Istio 1.24+ the named
 * profiles (demo, ambient, …) only select one of these; the settings live
 * with the components. Unknown names are rejected by the caller.
 */
export function chartProfileValues(name: string): JsonObject | undefined {
  switch (name) {
    case '':
    case 'default':
    case 'minimal':
    case 'empty':
    case 'openshift':
      return {};
    case 'demo':
      return {
        meshConfig: {
          accessLogFile: '/dev/stdout',
          extensionProviders: [
            {
              name: 'otel',
              envoyOtelAls: {
                service: 'opentelemetry-collector.observability.svc.cluster.local',
                port: 4317,
              },
            },
            {
              name: 'skywalking',
              skywalking: { service: 'tracing.istio-system.svc.cluster.local', port: 11800 },
            },
            {
              name: 'otel-tracing',
              opentelemetry: {
                port: 4317,
                service: 'opentelemetry-collector.observability.svc.cluster.local',
              },
            },
            {
              name: 'jaeger',
              opentelemetry: {
                port: 4317,
                service: 'jaeger-collector.istio-system.svc.cluster.local',
              },
            },
          ],
        },
        cni: { resources: { requests: { ...SMALL } } },
        global: {
          proxy: { resources: { requests: { ...SMALL } } },
          waypoint: { resources: { requests: { ...SMALL } } },
        },
        pilot: {
          autoscaleEnabled: false,
          traceSampling: 100,
          resources: { requests: { cpu: '10m', memory: '100Mi' } },
        },
        gateways: {
          'istio-egressgateway': { autoscaleEnabled: false, resources: { requests: { ...SMALL } } },
          'istio-ingressgateway': {
            autoscaleEnabled: false,
            resources: { requests: { ...SMALL } },
            ports: [
              { port: 15021, targetPort: 15021, name: 'status-port', protocol: 'TCP' },
              { port: 80, targetPort: 8080, name: 'http2', protocol: 'TCP' },
              { port: 443, targetPort: 8443, name: 'https', protocol: 'TCP' },
              { port: 31400, targetPort: 31400, name: 'tcp', protocol: 'TCP' },
              { port: 15443, targetPort: 15443, name: 'tls', protocol: 'TCP' },
            ],
          },
        },
        ztunnel: { resources: { requests: { ...SMALL } } },
      };
    case 'preview':
      return {
        meshConfig: { defaultConfig: { proxyMetadata: { ISTIO_META_DNS_CAPTURE: 'true' } } },
      };
    case 'stable':
      return { experimental: { stableValidationPolicy: true } };
    case 'ambient':
      return {
        meshConfig: {
          defaultConfig: { proxyMetadata: { ISTIO_META_ENABLE_HBONE: 'true' } },
          serviceScopeConfigs: [
            {
              servicesSelector: {
                matchExpressions: [{ key: 'istio.io/global', operator: 'In', values: ['true'] }],
              },
              scope: 'GLOBAL',
            },
          ],
        },
        global: { variant: 'distroless' },
        pilot: { env: { PILOT_ENABLE_AMBIENT: 'true' } },
        cni: { ambient: { enabled: true } },
      };
    case 'remote':
      return {
        pilot: { istiodRemote: { enabled: true }, configMap: false },
        telemetry: { enabled: false },
        global: { omitSidecarInjectorConfigMap: true },
      };
    default:
      return undefined;
  }
}

/**
 * Values a platform (`values.global.platform`) layers over the chart
 * profile: on OpenShift the CNI plugin is chained through multus, with
 * OpenShift's CNI directories. Unknown platforms add nothing.
 */
export function platformValues(platform: string): JsonObject {
  if (platform !== 'openshift') return {};
  return {
    cni: {
      cniBinDir: '/var/lib/cni/bin',
      cniConfDir: '/etc/cni/multus/net.d',
      cniConfFileName: 'istio-cni.conf',
      chained: false,
      provider: 'multus',
    },
    pilot: { cni: { enabled: true, provider: 'multus' } },
  };
}
