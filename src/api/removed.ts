/**
 * Fields that once existed and were removed. The schema rejects them as
 * unknown; these entries turn that into a message saying what replaced them.
 * Keys are field paths from the resource root.
 */
export const REMOVED_FIELDS: Readonly<Record<string, { message: string; fix: string }>> = {
  'spec.components.citadel': {
    message: 'unknown component (removed in Istio 1.6; its function is part of pilot)',
    fix: 'remove it; istiod issues workload certificates',
  },
  'spec.components.galley': {
    message: 'unknown component (removed in Istio 1.6; its function is part of pilot)',
    fix: 'remove it; istiod validates configuration',
  },
  'spec.components.sidecarInjector': {
    message: 'unknown component (removed in Istio 1.6; its function is part of pilot)',
    fix: 'remove it; istiod injects sidecars',
  },
  'spec.components.nodeAgent': {
    message: 'unknown component (removed in Istio 1.6; its function is part of the proxy agent)',
    fix: 'remove it',
  },
  'spec.components.policy': {
    message: 'unknown component (Mixer policy was removed in Istio 1.8)',
    fix: 'remove it; use AuthorizationPolicy or an ext_authz extension provider',
  },
  'spec.components.telemetry': {
    message:
      'unknown component (Mixer telemetry was removed in Istio 1.8; proxies report telemetry themselves)',
    fix: 'remove it; configure telemetry with the Telemetry API or values.telemetry',
  },
  'spec.components.proxy': {
    message: 'unknown component (removed; sidecars are injected, not installed)',
    fix: 'remove it; configure proxies with values.global.proxy or meshConfig.defaultConfig',
  },
  'spec.addonComponents': {
    message: 'addonComponents were removed in Istio 1.8 (grafana, kiali, prometheus, tracing)',
    fix: "remove it and install the addons from Istio's samples/addons or their own charts",
  },
  'spec.resourceSuffix': {
    message: 'unknown field (resourceSuffix was never implemented and was removed)',
    fix: 'remove it',
  },
  'spec.values.grafana': {
    message: 'the grafana addon was removed in Istio 1.8',
    fix: 'remove values.grafana and install Grafana from samples/addons or its own chart',
  },
  'spec.values.kiali': {
    message: 'the kiali addon was removed in Istio 1.8',
    fix: 'remove values.kiali and install Kiali with its own operator or chart',
  },
  'spec.values.prometheus': {
    message: 'the prometheus addon was removed in Istio 1.8',
    fix: 'remove values.prometheus and install Prometheus from samples/addons or its own chart',
  },
  'spec.values.tracing': {
    message: 'the tracing addon was removed in Istio 1.8',
    fix: 'remove values.tracing and install Jaeger or Zipkin from samples/addons',
  },
  'spec.values.telemetry.v2.prometheus.configOverride': {
    message: 'removed in Istio 1.22 together with the telemetry EnvoyFilters',
    fix: 'remove it and customise metrics with the Telemetry API',
  },
  'spec.values.telemetry.v2.stackdriver.configOverride': {
    message: 'removed in Istio 1.22 together with the telemetry EnvoyFilters',
    fix: 'remove it and configure Stackdriver with the Telemetry API',
  },
  'spec.values.global.tracer.stackdriver': {
    message: 'removed: the Stackdriver tracer settings no longer exist',
    fix: 'remove it and configure tracing with meshConfig.extensionProviders and the Telemetry API',
  },
  'spec.values.telemetry.v2.metadataExchange': {
    message: 'removed in Istio 1.22 together with the telemetry EnvoyFilters',
    fix: 'remove it; metadata exchange is built in',
  },
};
