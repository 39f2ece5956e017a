import type { IstioOperator } from '../api/types.js';
import type { IstioRelease } from '../releases/catalog.js';

/**
 * What profiles/ hands to translate/: the one merged IstioOperator and the
 * Istio release it installs, both decided once, here. translate/ reads
 * them and decides neither again (it used to choose the release a second
 * time from the merged tags).
 *
 * The values translate/ lays over the translated spec are `iop.spec.values`:
 * the profile's values with the user's (files, then `--set`) merged over
 * them, as istioctl lays them. There is no separate tree of the user's own
 * values: nothing renders from one.
 */
export interface MergedIstioOperator {
  /**
   * The merged, validated IstioOperator: built-in profile < the user's
   * layers < `--set` flags; `spec.hub`, `spec.tag` and `spec.namespace`
   * always set; no status.
   */
  iop: IstioOperator;
  /** The Istio release it installs (api/release.ts chose it from the user's own layer). */
  release: IstioRelease;
}
