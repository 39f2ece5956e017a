import { embeddedValues } from './defaults.js';
import type { JsonObject } from '../json/value.js';
import { getObject } from '../json/values.js';
import type { IstioRelease } from '../releases/catalog.js';
import { has } from '../releases/changes.js';

/** Chart profiles that only select components (their values are the defaults). */
const EMPTY_PROFILES = new Set(['', 'default', 'minimal', 'empty', 'openshift']);

/** Chart profiles with values of their own, in manifests/values/profile-<name>.yaml. */
const PROFILES = new Set(['demo', 'preview', 'stable', 'ambient', 'remote']);

/**
 * Values a chart-side profile (`values.profile`) layers over the component
 * defaults, in IstioOperator `values` shape. In Istio 1.24+ the named
 * profiles (demo, ambient, …) only select one of these; the settings live
 * with the components. Returns undefined for an unknown name (the caller
 * reports it).
 */
export function chartProfileValues(name: string): JsonObject | undefined {
  if (EMPTY_PROFILES.has(name)) return {};
  return PROFILES.has(name) ? embeddedValues(`profile-${name}.yaml`) : undefined;
}

/**
 * Values a platform (`values.global.platform`) layers over the chart
 * profile: on OpenShift the CNI plugin is chained through multus, with
 * OpenShift's CNI directories (and from 1.31 istiod falls back to its logs
 * for the termination message). Unknown platforms add nothing.
 */
export function platformValues(platform: string, release?: IstioRelease): JsonObject {
  if (platform !== 'openshift') return {};
  const values = embeddedValues('platform-openshift.yaml');
  if (release && has(release, 'istiodTerminationMessagePolicy'))
    values.pilot = {
      ...getObject(values, 'pilot'),
      terminationMessagePolicy: 'FallbackToLogsOnError',
    };
  return values;
}
