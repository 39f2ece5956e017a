/**
 * 1.23-era `values` settings that Istio 1.24 removed or moved. Old files keep
 * working: a setting with a new home is moved there with a warning naming the
 * new path; one without is kept, with a warning that says what to do.
 * Settings whose removal changes what gets installed (the addons) are errors,
 * reported by the validator as unknown fields with their own message.
 */
import { deletePath, formatPath, getPath, setPath } from '../json/path.js';
import { isObject } from '../json/value.js';
import type { Diagnostic, JsonObject } from './types.js';

/** One deprecated values setting. Paths are relative to `spec`. */
export interface DeprecatedValue {
  path: string[];
  /** Where the setting lives now (relative to `spec`), when it moved. */
  moveTo?: string[];
  /** What to do instead, when it did not move. */
  advice?: string;
}

/** Every deprecated 1.23-era values setting this operator knows. */
export const DEPRECATED_VALUES: readonly DeprecatedValue[] = [
  ...(
    [
      ['accessLogFile', ['meshConfig', 'accessLogFile']],
      ['accessLogFormat', ['meshConfig', 'accessLogFormat']],
      ['accessLogEncoding', ['meshConfig', 'accessLogEncoding']],
      ['concurrency', ['meshConfig', 'defaultConfig', 'concurrency']],
      ['envoyAccessLogService', ['meshConfig', 'defaultConfig', 'envoyAccessLogService']],
      ['envoyMetricsService', ['meshConfig', 'defaultConfig', 'envoyMetricsService']],
      ['protocolDetectionTimeout', ['meshConfig', 'protocolDetectionTimeout']],
      [
        'holdApplicationUntilProxyStarts',
        ['meshConfig', 'defaultConfig', 'holdApplicationUntilProxyStarts'],
      ],
    ] as const
  ).map(([key, to]) => ({ path: ['values', 'global', 'proxy', key], moveTo: [...to] })),
  ...(
    [
      ['certificates', ['meshConfig', 'certificates']],
      ['outboundTrafficPolicy', ['meshConfig', 'outboundTrafficPolicy']],
      ['localityLbSetting', ['meshConfig', 'localityLbSetting']],
      ['enableTracing', ['meshConfig', 'enableTracing']],
    ] as const
  ).map(([key, to]) => ({ path: ['values', 'global', key], moveTo: [...to] })),
  {
    path: ['values', 'global', 'mtls', 'auto'],
    moveTo: ['meshConfig', 'enableAutoMtls'],
  },
  {
    path: ['values', 'global', 'tracer', 'zipkin', 'address'],
    moveTo: ['meshConfig', 'defaultConfig', 'tracing', 'zipkin', 'address'],
  },
  {
    path: ['values', 'global', 'tracer', 'datadog', 'address'],
    moveTo: ['meshConfig', 'defaultConfig', 'tracing', 'datadog', 'address'],
  },
  {
    path: ['values', 'global', 'tracer', 'lightstep', 'address'],
    moveTo: ['meshConfig', 'defaultConfig', 'tracing', 'lightstep', 'address'],
  },
  {
    path: ['values', 'global', 'tracer', 'lightstep', 'accessToken'],
    moveTo: ['meshConfig', 'defaultConfig', 'tracing', 'lightstep', 'accessToken'],
  },
  {
    path: ['values', 'global', 'mtls', 'enabled'],
    advice: 'apply a mesh-wide PeerAuthentication with mtls.mode STRICT instead',
  },
  {
    path: ['values', 'global', 'policyCheckFailOpen'],
    advice: 'remove it: Mixer policy checks no longer exist',
  },
  {
    path: ['values', 'global', 'jwtPolicy'],
    advice: 'remove it: Istio always uses third-party service account tokens',
  },
  {
    path: ['values', 'global', 'centralIstiod'],
    advice: 'use values.global.externalIstiod instead',
  },
  {
    path: ['values', 'global', 'arch'],
    advice: 'use k8s.affinity with a nodeAffinity on kubernetes.io/arch instead',
  },
  {
    path: ['values', 'global', 'meshExpansion'],
    advice: 'remove it and install an east-west gateway for multi-network meshes',
  },
  ...(
    [
      ['global', 'configRootNamespace'],
      ['global', 'defaultConfigVisibilitySettings'],
      ['global', 'oneNamespace'],
      ['global', 'useMCP'],
      ['global', 'autoscalingv2API'],
      ['pilot', 'configNamespace'],
      ['pilot', 'useMCP'],
      ['pilot', 'configSource'],
      ['pilot', 'enableProtocolSniffingForOutbound'],
      ['pilot', 'enableProtocolSniffingForInbound'],
      ['sidecarInjectorWebhook', 'objectSelector'],
      ['sidecarInjectorWebhook', 'useLegacySelectors'],
      ['gateways', 'istio-ingressgateway', 'zvpn'],
      ['gateways', 'istio-egressgateway', 'zvpn'],
    ] as const
  ).map((keys) => ({
    path: ['values', ...keys],
    advice: 'remove it: Istio stopped reading this setting before 1.24',
  })),
  {
    path: ['values', 'pilot', 'ingress'],
    advice:
      'remove it: Kubernetes Ingress support is configured with meshConfig.ingressClass / ingressControllerMode',
  },
  {
    path: ['values', 'istiocoredns'],
    advice:
      'remove it and use DNS proxying: meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE="true"',
  },
];

function moveMessage(d: DeprecatedValue): string {
  return `deprecated since Istio 1.24; moved to spec.${formatPath(d.moveTo!)}`;
}

/**
 * Moves deprecated settings that have a new home, in place. Returns one
 * warning per moved setting. When the new path is already set, the new path
 * wins and the old setting is dropped, with a warning that says so.
 */
export function translateDeprecatedValues(spec: JsonObject): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const d of DEPRECATED_VALUES) {
    if (!d.moveTo) continue;
    const value = getPath(spec, d.path);
    if (value === undefined) continue;
    const path = `spec.${formatPath(d.path)}`;
    const existing = getPath(spec, d.moveTo);
    if (existing === undefined) {
      setPath(spec, d.moveTo, structuredClone(value));
      out.push({
        severity: 'warning',
        path,
        value,
        message: moveMessage(d),
        fix: `set spec.${formatPath(d.moveTo)} instead`,
      });
    } else {
      out.push({
        severity: 'warning',
        path,
        value,
        message: `deprecated since Istio 1.24 and ignored, because spec.${formatPath(d.moveTo)} is set`,
        fix: 'remove it',
      });
    }
    deletePath(spec, d.path);
  }
  return out;
}

/** Warnings for deprecated settings present in `spec` (nothing is changed). */
export function findDeprecatedValues(spec: unknown): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (!isObject(spec)) return out;
  for (const d of DEPRECATED_VALUES) {
    const value = getPath(spec, d.path);
    if (value === undefined) continue;
    out.push(
      d.moveTo
        ? {
            severity: 'warning',
            path: `spec.${formatPath(d.path)}`,
            value,
            message: `${moveMessage(d)} when merged`,
            fix: `set spec.${formatPath(d.moveTo)} instead`,
          }
        : {
            severity: 'warning',
            path: `spec.${formatPath(d.path)}`,
            value,
            message: 'deprecated since Istio 1.24 and has no effect',
            fix: d.advice,
          },
    );
  }
  return out;
}
