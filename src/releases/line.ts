/**
 * What one Istio release line is, in one place: src/releases/lines/ holds
 * one module per line (istio-<minor>.ts), and the catalog, the
 * compatibility profiles and the values a line introduces are derived from
 * them. What a line changes in rendering is in changes.ts (one entry per
 * change, naming the line that brought it); its default values beside the
 * base line's in manifests/values/release-<minor>.yaml; its CRDs' module pin
 * in tools/istio-api/<minor>/; its istioctl and pilot-discovery, where the
 * Go module proxy serves them, in tools/istio-<minor>/.
 * test/unit/releases/lines.test.ts checks that every line has all of these.
 */

/** A carried minor version, `1.27` … `1.31`. */
export type IstioMinor = '1.27' | '1.28' | '1.29' | '1.30' | '1.31';

/** What `compatibilityVersion: X` pins on a line. */
export interface CompatibilityPins {
  /** istiod env (`pilot.env`), all "false" in Istio's files. */
  readonly env: readonly string[];
  /** `cni.ambient` settings, which istiod's injector values show too (`pilot.cni.ambient`). */
  readonly cniAmbient?: Readonly<Record<string, boolean>>;
  /** Top-level `ambient` settings of the CNI chart (the node agent only). */
  readonly ambient?: Readonly<Record<string, boolean>>;
}

/** One Istio release line. */
export interface ReleaseLine {
  /** `major.minor`. */
  readonly minor: IstioMinor;
  /** The newest patch this build knows (the default tag when the minor is chosen but no tag is). */
  readonly patch: string;
  /** Whether Istio still supports the line (shown by `istio-operator version`; unsupported lines still install). */
  readonly supported: boolean;
  /**
   * When Istio's support ends or ended: a date (approximate where Istio
   * announced none) or the event it waits for.
   */
  readonly supportEnds: string;
  /** The compatibility profiles the line's charts ship, by the version each keeps. */
  readonly compatibility: Readonly<Record<string, CompatibilityPins>>;
  /** `spec.values` paths that exist from this line on (istioctl of an older one rejects them). */
  readonly newValues: readonly (readonly string[])[];
}
