import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ROOT } from '../support/cli.js';

/** Where the shared folder keeps them, below a `shared` folder. */
const INPUTS_IN_SHARED = join('shared', 'data', 'istio-manifest-inputs');

/**
 * Istio's own `manifest generate` test inputs, shared with this project
 * beside it (`../shared`; never copied in): `$ISTIO_MANIFEST_INPUTS` when
 * set, else the first `shared/data/istio-manifest-inputs` found from the
 * checkout's parent upwards (a clone one folder deeper still finds it). A
 * missing folder fails the suites that read it: it is part of what CI checks.
 */
export const ISTIO_INPUTS = ((): string => {
  const explicit = process.env.ISTIO_MANIFEST_INPUTS;
  if (explicit) return resolve(explicit);
  const first = join(ROOT, '..', INPUTS_IN_SHARED);
  for (let dir = resolve(ROOT, '..'); ; dir = dirname(dir)) {
    if (existsSync(join(dir, INPUTS_IN_SHARED))) return join(dir, INPUTS_IN_SHARED);
    if (dirname(dir) === dir) return first;
  }
})();

/** The input files, sorted. */
export function istioInputs(): string[] {
  if (!existsSync(ISTIO_INPUTS))
    throw new Error(
      `Istio's manifest-generate inputs are missing: ${ISTIO_INPUTS} ` +
        '(looked for shared/data/istio-manifest-inputs beside the checkout and above; set ISTIO_MANIFEST_INPUTS to the folder)',
    );
  return readdirSync(ISTIO_INPUTS)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
}

/** An input istioctl renders and we refuse on purpose, and how both sides are compared instead. */
interface RefusedOnPurpose {
  /** The lines it applies to (all when absent). */
  lines?: readonly string[];
  /** The field our error names. */
  path: string;
  reason: string;
  /** `--set` flags (the fix our error names) with which both sides render, and are compared. */
  fixed: string[];
}

const PILOT_NAMESPACE: RefusedOnPurpose = {
  path: 'spec.components.pilot.namespace',
  reason:
    'istioctl renders istiod in components.pilot.namespace but keeps its ServiceAccount, Role, RoleBinding and ' +
    'validator in the install namespace; on a real API server the Deployment then creates no pod (no ServiceAccount ' +
    'istiod in its namespace: see apiserver.test.ts). We refuse it, naming the fix; with that fix both sides render ' +
    'the same control plane in the one namespace.',
  fixed: ['values.global.istioNamespace=istio-control'],
};

/** Inputs istioctl accepts that we refuse on purpose (each a documented decision, docs/rendering.md). */
export const REFUSED_ON_PURPOSE: Readonly<Record<string, RefusedOnPurpose>> = {
  'pilot_k8s_settings.yaml': PILOT_NAMESPACE,
  'pilot_override_kubernetes.yaml': PILOT_NAMESPACE,
  'pilot_override_values.yaml': PILOT_NAMESPACE,
  'istiod_remote_ipv6.yaml': {
    lines: ['1.27', '1.28', '1.29'],
    path: 'spec.values.global.remotePilotAddress',
    reason:
      'before 1.30 the chart makes an IPv6 remotePilotAddress an ExternalName Service, which the API server refuses ' +
      '(an external name must be a DNS name: see apiserver.test.ts). We refuse it, naming the fix.',
    fixed: ['values.global.remotePilotAddress=istiod.example.com'],
  },
};

/** The on-purpose refusal of `f` on `minor`, if any. */
export function refusedOnPurpose(f: string, minor: string): RefusedOnPurpose | undefined {
  const r = REFUSED_ON_PURPOSE[f];
  return r && (!r.lines || r.lines.includes(minor)) ? r : undefined;
}

/**
 * Inputs with a null in `spec.values` (`values:` left empty, a leaf without a
 * value). We take a null as not written, with a warning naming the field;
 * istioctl passes it on to Helm, where it erases the profile's value:
 * `bare_values` then installs the charts' development images
 * (registry.istio.io/testing/*:latest) and `bogus_cps` turns istiod's
 * autoscaling off. istioctl is compared given the same input without the
 * null fields.
 */
export const NULL_AS_ABSENT: readonly string[] = ['bare_values.yaml', 'bogus_cps.yaml'];

/**
 * Inputs that exercise an istioctl flag in Istio's suite: what stands for
 * the flag here. The input itself is compared like any other (both sides
 * without the flag).
 */
export const FLAG_INPUTS: Readonly<Record<string, string>> = {
  'flag_force.yaml':
    '`--force` renders despite validation errors (here an unknown values.global.badKey). No equivalent, on purpose: ' +
    'the operator never installs a spec its schema refuses, so an unknown field is an error naming it, never dropped.',
  'flag_output.yaml':
    '`-o DIR` writes one file per component. Ours writes one stream (`-o` chooses yaml or json); `--component NAME` ' +
    'renders one component.',
  'install_package_path.yaml':
    '`--manifests PATH` (and spec.installPackagePath) takes charts from a folder. No equivalent: the operator renders ' +
    'from its own templates for each line; spec.installPackagePath is refused, naming the field.',
};

/** The field an istioctl refusal names (`unknown field "x"`), if it names one. */
export function namedField(stderr: string): string | undefined {
  return /unknown field \\?"([^"\\]+)\\?"/.exec(stderr)?.[1];
}
