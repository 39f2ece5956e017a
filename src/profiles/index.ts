/**
 * Builds the one merged IstioOperator that everything downstream renders
 * from: built-in profile + user files + `--set` flags, validated.
 */
import { translateDeprecatedValues } from '../api/deprecated.js';
import { IstioOperatorValidationError, sortDiagnostics } from '../api/errors.js';
import { parseIstioOperatorFile } from '../api/parse.js';
import {
  API_VERSION,
  KIND,
  type Diagnostic,
  type IstioOperator,
  type JsonObject,
} from '../api/types.js';
import { validateIstioOperator } from '../api/validate.js';
import { DEFAULT_HUB, ISTIO_VERSION } from '../version.js';
import { builtinProfile } from './builtin.js';
import { mergeLayers } from './merge.js';
import { isProfileName, PROFILE_NAMES, REMOVED_PROFILES } from './names.js';
import { applySetFlag, parseSetFlag, SetFlagError, type SetFlag } from './set-flags.js';

export { PROFILE_NAMES, isProfileName, type ProfileName } from './names.js';
export { builtinProfile, builtinProfileYaml, profileSummaries } from './builtin.js';
export { mergeTree, mergeLayers } from './merge.js';
export { parseSetFlag, parseSetPath, applySetFlag, SetFlagError } from './set-flags.js';

/** Input of generateIstioOperator: file contents (read by the caller), `--set` flags, a profile. */
export interface GenerateInput {
  /** User IstioOperator files, lowest precedence first. */
  files: { name: string; content: string }[];
  /** `--set PATH=VALUE` flags (paths relative to `spec`), applied in order after the files. */
  set: string[];
  /**
   * A profile chosen outside the files (`profile dump NAME`); it acts like a
   * `--set profile=NAME` placed before the user's own `--set` flags.
   */
  profile?: string;
}

/** Result of generateIstioOperator. */
export interface GenerateResult {
  /** The merged, validated IstioOperator; hub, tag and namespace are always set. */
  iop: IstioOperator;
  /** Non-blocking findings (deprecated fields, replicaCount with autoscaling, …). */
  warnings: Diagnostic[];
  /**
   * The user's own `spec.values` (files + `--set`, deprecated paths already
   * translated). Istio merges these again on top after translating the spec
   * into Helm values, so explicit values beat translated ones; that step
   * belongs to translate/, which needs this tree to do it.
   */
  userValues: JsonObject;
}

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function specOf(o: JsonObject): JsonObject {
  return isObject(o.spec) ? o.spec : {};
}

function parseFlags(set: string[], errors: Diagnostic[]): SetFlag[] {
  const flags: SetFlag[] = [];
  for (const raw of set) {
    try {
      flags.push(parseSetFlag(raw));
    } catch (err) {
      if (!(err instanceof SetFlagError)) throw err;
      errors.push({ severity: 'error', path: `--set ${raw}`, message: err.message });
    }
  }
  return flags;
}

// Output order of spec fields: the scalars first, then the big trees.
const SPEC_ORDER = [
  'profile',
  'hub',
  'tag',
  'namespace',
  'revision',
  'compatibilityVersion',
  'installPackagePath',
  'meshConfig',
  'components',
  'values',
  'unvalidatedValues',
];

function inSpecOrder(spec: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of SPEC_ORDER) if (k in spec) out[k] = spec[k];
  for (const k of Object.keys(spec)) if (!(k in out)) out[k] = spec[k];
  return out;
}

// The last `--set profile=` wins, then the files' spec.profile, then `default`.
function chooseProfile(flags: SetFlag[], userSpec: JsonObject): unknown {
  const fromSet = flags.filter((f) => f.path === 'profile').at(-1);
  return fromSet ? fromSet.value : (userSpec.profile ?? 'default');
}

/**
 * Merges and validates an IstioOperator. Precedence, low to high: the
 * `default` profile < the named profile < the operator's hub/tag
 * (DEFAULT_HUB, ISTIO_VERSION) < user files in order < `--set` flags in
 * order. Maps merge recursively; lists replace (so a user's ingressGateways
 * list replaces the profile's). Deprecated 1.23-era values are moved to their
 * new paths with a warning. `spec.unvalidatedValues` is kept as is: it is
 * merged into the values only after translation, by translate/.
 *
 * Pure: the caller reads the files. Throws IstioOperatorValidationError
 * listing every error when there is at least one.
 */
export function generateIstioOperator(input: GenerateInput): GenerateResult {
  const errors: Diagnostic[] = [];
  const parsed = input.files.map((f) => parseIstioOperatorFile(f.name, f.content));
  for (const p of parsed) errors.push(...p.diagnostics);
  const userObjects = parsed.flatMap((p) => (p.object ? [p.object] : []));
  const flags = parseFlags(input.set, errors);
  if (input.profile !== undefined) {
    flags.unshift({
      raw: `profile=${input.profile}`,
      path: 'profile',
      segments: [{ kind: 'key', key: 'profile' }],
      value: input.profile,
    });
  }

  const userMerged = mergeLayers<JsonObject>(userObjects);
  const userSpec = specOf(userMerged);
  const profile = chooseProfile(flags, userSpec);
  if (!isProfileName(profile)) {
    const removed = typeof profile === 'string' ? REMOVED_PROFILES[profile] : undefined;
    errors.push({
      severity: 'error',
      path: 'spec.profile',
      value: profile,
      message: removed ?? 'unknown profile',
      fix: `use one of: ${PROFILE_NAMES.join(', ')}`,
    });
    throw new IstioOperatorValidationError(sortDiagnostics(errors));
  }

  const layers: JsonObject[] = [builtinProfile('default')];
  if (profile !== 'default') layers.push(builtinProfile(profile));
  layers.push({ spec: { hub: DEFAULT_HUB, tag: ISTIO_VERSION } });
  layers.push(...userObjects);
  const merged = mergeLayers<JsonObject>(layers);
  const spec = specOf(merged);
  merged.spec = spec;

  // The user's values on their own, for translate/ to merge again later.
  const userValues: JsonObject = structuredClone(isObject(userSpec.values) ? userSpec.values : {});
  const userValuesRoot: JsonObject = { values: userValues };
  for (const flag of flags) {
    try {
      applySetFlag(spec, flag);
    } catch (err) {
      if (!(err instanceof SetFlagError)) throw err;
      errors.push({ severity: 'error', path: `--set ${flag.raw}`, message: err.message });
      continue;
    }
    if (flag.segments[0]?.kind === 'key' && flag.segments[0].key === 'values') {
      try {
        applySetFlag(userValuesRoot, flag);
      } catch {
        // A selector may name a list element only the profile has; the
        // error (if any) was reported on the full tree above.
      }
    }
  }
  spec.profile = profile;

  const deprecated = translateDeprecatedValues(spec);
  translateDeprecatedValues({ values: userValuesRoot.values });

  const metadata = isObject(merged.metadata) ? merged.metadata : {};
  const userMeta = isObject(userMerged.metadata) ? userMerged.metadata : {};
  const userGlobal =
    isObject(userValuesRoot.values) && isObject(userValuesRoot.values.global)
      ? userValuesRoot.values.global
      : {};
  const namespace =
    (typeof spec.namespace === 'string' && spec.namespace) ||
    (typeof userGlobal.istioNamespace === 'string' && userGlobal.istioNamespace) ||
    (typeof userMeta.namespace === 'string' && userMeta.namespace) ||
    'istio-system';
  spec.namespace = namespace;
  if (spec.hub === undefined || spec.hub === '') spec.hub = DEFAULT_HUB;
  if (spec.tag === undefined || spec.tag === '') spec.tag = ISTIO_VERSION;

  const iop = {
    ...merged,
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { ...metadata, namespace: metadata.namespace ?? namespace },
    spec: inSpecOrder(spec),
  } as unknown as IstioOperator;
  delete (iop as { status?: unknown }).status;

  const diagnostics = sortDiagnostics([
    ...errors,
    ...deprecated,
    ...validateIstioOperator(iop as unknown),
  ]);
  if (diagnostics.some((d) => d.severity === 'error')) {
    throw new IstioOperatorValidationError(diagnostics);
  }
  return {
    iop,
    warnings: diagnostics,
    userValues: isObject(userValuesRoot.values) ? userValuesRoot.values : {},
  };
}
