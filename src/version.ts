/**
 * Versions this build of the operator carries. The Istio version is the one
 * place the default image tag comes from: profiles, rendering and
 * `istio-operator version` all read it from here.
 */

/** The operator's own version (kept in step with package.json by a unit test). */
export const OPERATOR_VERSION = '0.1.0';

/** The Istio release whose components this operator renders (latest 1.27 patch). */
export const ISTIO_VERSION = '1.27.9';

/** The default image registry, as in Istio's own release builds. */
export const DEFAULT_HUB = 'docker.io/istio';
