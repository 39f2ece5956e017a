/**
 * Versions this build of the operator carries. The Istio releases it
 * installs are listed in releases/catalog.ts; ISTIO_VERSION is the default
 * one's patch, the image tag of an IstioOperator that names no release.
 */
import { DEFAULT_RELEASE } from './releases/catalog.js';

/** The operator's own version (kept in step with package.json by a unit test). */
export const OPERATOR_VERSION = '0.1.0';

/** The default release's image tag (its newest patch). */
export const ISTIO_VERSION = DEFAULT_RELEASE.patch;

/** The default image registry, as in Istio's own release builds. */
export const DEFAULT_HUB = 'docker.io/istio';
