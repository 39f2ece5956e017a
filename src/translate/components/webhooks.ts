import { getBool, getPath, getString } from '../../json/values.js';
import type { JsonObject } from '../../json/value.js';

/**
 * What the webhook configurations need (the injector's, the revision
 * tags', the validators' — rendered by Pilot and Base alike), resolved from
 * the values once for render/webhooks.ts, render/base.ts and
 * render/default-tag.ts.
 */
export interface WebhookSettings {
  /** `istiodRemote.injectionURL` (or under `pilot`): the injector calls this URL instead of the Service. */
  injectionURL: string;
  /** `base.validationURL`: the validator calls this URL instead of istiod's Service. */
  validationURL: string;
  /** The injector's path on istiod's Service (`istiodRemote.injectionPath`, default `/inject`). */
  injectionPath: string;
  /** `sidecarInjectorWebhook.reinvocationPolicy` (default `Never`). */
  reinvocationPolicy: string;
  /** `sidecarInjectorWebhook.enableNamespacesByDefault`: inject every namespace that does not opt out. */
  enableNamespacesByDefault: boolean;
  /** `revisionTags`, as strings. */
  revisionTags: string[];
  /** `defaultRevision` ('' when unset): the revision Istio config without a revision label goes to. */
  defaultRevision: string;
  /** `global.operatorManageWebhooks`: the webhooks are left to someone else. */
  operatorManaged: boolean;
}

/** Resolves the webhook settings. */
export function webhookSettings(values: JsonObject): WebhookSettings {
  // `istiodRemote` is a top-level values key in the IstioOperator API and
  // the istiod chart's own key under `pilot`; either may carry the settings.
  const remote = (key: string) =>
    getString(values, `istiodRemote.${key}`) || getString(values, `pilot.istiodRemote.${key}`);
  const tags = getPath(values, 'revisionTags');
  return {
    injectionURL: remote('injectionURL'),
    injectionPath: remote('injectionPath') || '/inject',
    validationURL: getString(values, 'base.validationURL'),
    reinvocationPolicy: getString(values, 'sidecarInjectorWebhook.reinvocationPolicy') || 'Never',
    enableNamespacesByDefault: getBool(values, 'sidecarInjectorWebhook.enableNamespacesByDefault'),
    revisionTags: Array.isArray(tags) ? tags.map(String) : [],
    defaultRevision: getString(values, 'defaultRevision'),
    operatorManaged: getBool(values, 'global.operatorManageWebhooks'),
  };
}

/** What the Base component renders besides the reader identity, resolved from the values. */
export interface BaseSettings {
  /** Istio's config CRDs are rendered (unless `base.enableIstioConfigCRDs: false`). */
  configCrds: boolean;
  /** `base.excludedCRDs`: CRD names left out. */
  excludedCrds: Set<string>;
  /** The default revision's stable-API policy (`defaultRevision` with `experimental.stableValidationPolicy`). */
  defaultStablePolicy: boolean;
}

/** Resolves the Base settings. */
export function baseSettings(values: JsonObject): BaseSettings {
  const excluded = getPath(values, 'base.excludedCRDs');
  return {
    configCrds: getPath(values, 'base.enableIstioConfigCRDs') !== false,
    excludedCrds: new Set(Array.isArray(excluded) ? excluded.map(String) : []),
    defaultStablePolicy:
      getBool(values, 'experimental.stableValidationPolicy') &&
      getString(values, 'defaultRevision') !== '',
  };
}
