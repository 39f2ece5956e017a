/**
 * Builds the one merged IstioOperator that everything downstream renders
 * from: built-in profile + user files + `--set` flags, validated.
 */
import { translateDeprecatedValues } from '../api/deprecated.js';
import { IstioOperatorValidationError, sortDiagnostics } from '../api/errors.js';
import { clusterLayer, parseIstioOperatorFile } from '../api/parse.js';
import type { Diagnostic, IstioOperator, JsonObject } from '../api/types.js';
import { API_VERSION, KIND } from '../api/vocabulary.js';
import { getPath } from '../json/path.js';
import { validateIstioOperator } from '../api/validate.js';
import { DEFAULT_HUB } from '../version.js';
import {
  chooseRelease,
  compatibilityErrors,
  newerValuesErrors,
  remoteAddressErrors,
} from '../api/release.js';
import { DEFAULT_RELEASE } from '../releases/catalog.js';
import { builtinProfile } from './builtin.js';
import { mergeLayers } from './merge.js';
import type { MergedIstioOperator } from './merged.js';
import { isProfileName, PROFILE_NAMES, REMOVED_PROFILES } from './names.js';
import { applySetFlag, parseSetFlag, SetFlagError, type SetFlag } from './set-flags.js';
import { isObject } from '../json/value.js';

export { PROFILE_NAMES, isProfileName, type ProfileName } from './names.js';
export { builtinProfile, builtinProfileYaml, profileSummaries } from './builtin.js';
export { mergeLayers } from './merge.js';
export type { MergedIstioOperator } from './merged.js';
export { parseSetFlag, parseSetPath, applySetFlag, SetFlagError } from './set-flags.js';

/**
 * Input of generateIstioOperator: the user's layers, lowest precedence
 * first. The CLI gives file contents (read by the caller), `--set` flags
 * and a profile; the controller gives the object the API server holds.
 */
export interface GenerateInput {
  /** User IstioOperator files, lowest precedence first. */
  files?: { name: string; content: string }[];
  /**
   * An IstioOperator the API server holds, after the files: already parsed
   * and checked against the CRD, so it skips a file's checks (clusterLayer).
   */
  cluster?: IstioOperator;
  /** `--set PATH=VALUE` flags (paths relative to `spec`), applied in order after the files. */
  set?: string[];
  /**
   * A profile chosen outside the files (`profile dump NAME`); it acts like a
   * `--set profile=NAME` placed before the user's own `--set` flags.
   */
  profile?: string;
}

/** Result of generateIstioOperator: the handoff to translate/, and what the user is told. */
export interface GenerateResult extends MergedIstioOperator {
  /** Non-blocking findings (deprecated fields, replicaCount with autoscaling, …). */
  warnings: Diagnostic[];
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

/**
 * Merges and validates an IstioOperator, the way istioctl 1.27 does:
 * the user files are merged in order and the `--set` flags applied to that
 * user tree (so a `[name:…]` selector only finds list elements the user
 * wrote); then the user tree is laid over `default` profile < named profile
 * < the operator's hub and the chosen release's tag (api/release.ts). Maps merge
 * recursively; lists replace (a user's ingressGateways list replaces the
 * profile's). Deprecated 1.23-era values in the user tree are moved to their
 * new paths with a warning. `spec.unvalidatedValues` is kept as is: it is
 * merged into the values only after translation, by translate/.
 *
 * Returns the handoff to translate/ (MergedIstioOperator: the merged
 * IstioOperator and the release chosen here) with the warnings.
 *
 * Pure: the caller reads the files. Throws IstioOperatorValidationError
 * listing every error when there is at least one.
 */
export function generateIstioOperator(input: GenerateInput): GenerateResult {
  const errors: Diagnostic[] = [];
  const { cluster } = input;
  const parsed = [
    ...(input.files ?? []).map((f) => parseIstioOperatorFile(f.name, f.content)),
    ...(cluster
      ? [clusterLayer(`${cluster.metadata.namespace}/${cluster.metadata.name}`, cluster)]
      : []),
  ];
  for (const p of parsed) errors.push(...p.diagnostics);
  const userObjects = parsed.flatMap((p) => (p.object ? [p.object] : []));
  const flags = parseFlags(input.set ?? [], errors);
  if (input.profile !== undefined) {
    flags.unshift({
      raw: `profile=${input.profile}`,
      path: 'profile',
      segments: [{ kind: 'key', key: 'profile' }],
      value: input.profile,
    });
  }

  const user = mergeLayers<JsonObject>([{ metadata: {}, spec: {} }, ...userObjects]);
  const userSpec = specOf(user);
  user.spec = userSpec;
  for (const flag of flags) {
    try {
      applySetFlag(userSpec, flag);
    } catch (err) {
      if (!(err instanceof SetFlagError)) throw err;
      errors.push({ severity: 'error', path: `--set ${flag.raw}`, message: err.message });
    }
  }
  const deprecated = translateDeprecatedValues(userSpec);

  const profile = userSpec.profile ?? 'default';
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

  // The release comes from the user's own tags (or annotation); its patch is the default tag.
  const choice = chooseRelease(user);
  errors.push(...(choice.diagnostics ?? choice.warnings));
  const release = choice.release ?? DEFAULT_RELEASE;
  if (choice.release)
    errors.push(
      ...newerValuesErrors(userSpec, release),
      ...compatibilityErrors(userSpec, release),
      ...remoteAddressErrors(userSpec, release),
    );

  const layers: JsonObject[] = [builtinProfile('default')];
  if (profile !== 'default') layers.push(builtinProfile(profile));
  layers.push({ spec: { hub: DEFAULT_HUB, tag: release.patch } }, user);
  const merged = mergeLayers<JsonObject>(layers);
  const spec = specOf(merged);
  spec.profile = profile;

  // Install namespace: spec.namespace (1.23 style), else
  // values.global.istioNamespace (which the default profile sets), as istioctl.
  const global = getPath(spec, ['values', 'global']);
  const namespace =
    (typeof spec.namespace === 'string' && spec.namespace) ||
    (isObject(global) && typeof global.istioNamespace === 'string' && global.istioNamespace) ||
    'istio-system';
  spec.namespace = namespace;
  if (isObject(global)) global.istioNamespace = namespace;
  if (spec.hub === undefined || spec.hub === '') spec.hub = DEFAULT_HUB;
  if (spec.tag === undefined || spec.tag === '') spec.tag = release.patch;

  const metadata = isObject(merged.metadata) ? merged.metadata : {};
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
    // The schema on the user's layer only (the profiles are valid: see validateIstioOperator).
    ...validateIstioOperator(iop as unknown, {
      ...user,
      apiVersion: API_VERSION,
      kind: KIND,
      spec: userSpec,
      status: undefined,
    }),
  ]);
  if (diagnostics.some((d) => d.severity === 'error')) {
    throw new IstioOperatorValidationError(diagnostics);
  }
  return { iop, release, warnings: diagnostics };
}
