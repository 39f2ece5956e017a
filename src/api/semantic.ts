/**
 * Checks a schema cannot express. Each CEL rule of the CRD has a twin here
 * (the API server runs the CEL rule, the CLI and the operator run this), and
 * the rest are Istio's own validation rules. Run on an object that passed
 * the schema check; each check still guards its types, so running on a
 * partly invalid object reports what it can.
 */
import { findDeprecatedValues } from './deprecated.js';
import { multiClusterDiagnostics } from './multicluster.js';
import { formatPath, getPath } from '../json/path.js';
import { isObject } from '../json/value.js';
import { DNS1123_LABEL, GATEWAY_NAME, MAJOR_MINOR } from './schema/spec.js';
import type { Diagnostic, JsonObject } from './types.js';

// An image repository: optional registry host[:port], then lower-case path
// components separated by "/" (the distribution reference grammar).
const HUB =
  /^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*(:[0-9]+)?\/)?[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(\/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*$/;
// An image tag: word characters, dots and dashes, at most 128, not starting with . or -.
const TAG = /^[\w][\w.-]{0,127}$/;

/** How many offending entries of a list a message names before "and N more". */
const MAX_LISTED = 5;

const GATEWAY_LISTS = [
  { list: 'ingressGateways', values: 'istio-ingressgateway' },
  { list: 'egressGateways', values: 'istio-egressgateway' },
] as const;

function err(path: string, value: unknown, message: string, fix?: string): Diagnostic {
  return { severity: 'error', path, value, message, ...(fix ? { fix } : {}) };
}

function checkImage(path: string, hub: unknown, tag: unknown, out: Diagnostic[]): void {
  if (typeof hub === 'string' && hub !== '' && !HUB.test(hub)) {
    out.push(
      err(
        `${path}.hub`,
        hub,
        'is not a valid image repository',
        'use a registry and path such as docker.io/istio or my-registry.example.com:5000/istio (lower case, no tag)',
      ),
    );
  }
  const t = typeof tag === 'number' ? String(tag) : tag;
  if (typeof t === 'string' && t !== '' && !TAG.test(t)) {
    out.push(
      err(
        `${path}.tag`,
        tag,
        'is not a valid image tag',
        'use letters, digits, "_", "." and "-" (at most 128, not starting with "." or "-"), e.g. 1.27.0 or 1.27.0-distroless',
      ),
    );
  }
}

function checkRevision(spec: JsonObject, out: Diagnostic[]): void {
  const r = spec.revision;
  if (typeof r !== 'string' || r === '') return;
  if (r.length > 63 || !new RegExp(DNS1123_LABEL).test(r)) {
    out.push(
      err(
        'spec.revision',
        r,
        'is not a DNS-1123 label (at most 63 lower case letters, digits and "-", starting and ending with a letter or digit)',
        `use for example "${
          r
            .toLowerCase()
            .replace(/[^a-z0-9-]/g, '-')
            .replace(/^-+|-+$/g, '') || '1-27-0'
        }"`,
      ),
    );
  }
}

function checkCompatibilityVersion(spec: JsonObject, out: Diagnostic[]): void {
  checkCompatibility('spec.compatibilityVersion', spec.compatibilityVersion, out);
  checkCompatibility(
    'spec.values.compatibilityVersion',
    getPath(spec, ['values', 'compatibilityVersion']),
    out,
  );
}

function checkCompatibility(path: string, v: unknown, out: Diagnostic[]): void {
  if (typeof v !== 'string' || v === '') return;
  // Which versions exist depends on the Istio line: api/release.ts checks that.
  if (!new RegExp(MAJOR_MINOR).test(v)) {
    out.push(err(path, v, 'must be major.minor', 'use for example "1.25"'));
  }
}

function portList(v: unknown): boolean {
  if (typeof v !== 'string') return true;
  if (v.trim() === '') return true;
  return v.split(',').every((p) => {
    const s = p.trim();
    return /^\d+$/.test(s) && Number(s) <= 65535;
  });
}

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function isIPv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || (s.match(/::/g) ?? []).length > 1) return false;
  const tail = s.includes('.') ? s.slice(s.lastIndexOf(':') + 1) : undefined;
  if (tail !== undefined && !isIPv4(tail)) return false;
  const head = tail !== undefined ? s.slice(0, s.lastIndexOf(':') + 1) + '0:0' : s;
  const groups = head.split(':');
  const filled = groups.filter((g) => g !== '');
  if (!filled.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return s.includes('::') ? filled.length < 8 : groups.length === 8;
}

/** Whether `s` is an IPv4 or IPv6 CIDR such as 10.0.0.0/8 or fd00::/8. */
export function isCidr(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  if (isIPv4(ip)) return Number(bits) <= 32;
  if (isIPv6(ip)) return Number(bits) <= 128;
  return false;
}

function checkProxy(spec: JsonObject, out: Diagnostic[]): void {
  const proxy = getPath(spec, ['values', 'global', 'proxy']);
  if (!isObject(proxy)) return;
  for (const key of ['includeIPRanges', 'excludeIPRanges'] as const) {
    const v = proxy[key];
    if (typeof v !== 'string' || v.trim() === '') continue;
    const bad = v
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '*' && !isCidr(x));
    if (bad.length > 0) {
      // Name a few: the message ends up in status conditions (at most 32 KiB)
      // and Events, and a huge list must not make the status unwritable.
      const shown = bad
        .slice(0, MAX_LISTED)
        .map((x) => (x.length > 60 ? `${x.slice(0, 57)}...` : x));
      const more = bad.length > MAX_LISTED ? ` and ${bad.length - MAX_LISTED} more` : '';
      out.push(
        err(
          `spec.values.global.proxy.${key}`,
          v,
          `must be a comma-separated list of CIDRs or "*"; not a CIDR: ${shown.join(', ')}${more}`,
          'write ranges with a prefix length, e.g. "10.0.0.0/8,172.16.0.0/12"',
        ),
      );
    }
  }
  for (const key of ['includeInboundPorts', 'excludeInboundPorts'] as const) {
    const v = proxy[key];
    if (key === 'includeInboundPorts' && typeof v === 'string' && v.trim() === '*') continue;
    if (!portList(v)) {
      out.push(
        err(
          `spec.values.global.proxy.${key}`,
          v,
          `must be a comma-separated list of ports from 0 to 65535${key === 'includeInboundPorts' ? ', or "*"' : ''}`,
          'write e.g. "8080,9090"',
        ),
      );
    }
  }
}

function checkGateways(spec: JsonObject, out: Diagnostic[]): void {
  for (const { list, values } of GATEWAY_LISTS) {
    const gws = getPath(spec, ['components', list]);
    if (!Array.isArray(gws)) continue;
    const runAsRoot = getPath(spec, ['values', 'gateways', values, 'runAsRoot']) === true;
    const seen = new Map<string, number>();
    gws.forEach((gw: unknown, i) => {
      if (!isObject(gw)) return;
      const at = `spec.components.${list}[${i}]`;
      const name = gw.name;
      if (typeof name === 'string') {
        if (!new RegExp(GATEWAY_NAME).test(name)) {
          out.push(
            err(
              `${at}.name`,
              name,
              'is not a valid gateway name: use 1 to 254 lower case letters, digits, "." and "-"',
              `use for example "${name.toLowerCase().replace(/[^a-z0-9.-]/g, '-') || 'istio-ingressgateway'}"`,
            ),
          );
        }
        const first = seen.get(name);
        if (first !== undefined) {
          out.push(
            err(
              `${at}.name`,
              name,
              `duplicate gateway name (also at spec.components.${list}[${first}])`,
              'give each gateway its own name; two gateways with one name would render the same objects',
            ),
          );
        } else {
          seen.set(name, i);
        }
      }
      checkImage(at, gw.hub, gw.tag, out);
      const ports = getPath(gw, ['k8s', 'service', 'ports']);
      if (Array.isArray(ports) && !runAsRoot) {
        ports.forEach((p: unknown, j) => {
          if (!isObject(p)) return;
          const target = p.targetPort ?? p.port;
          if (typeof target === 'number' && target < 1024) {
            const label = `${typeof p.name === 'string' ? p.name : 'port'}/${String(p.port)}`;
            out.push(
              err(
                `${at}.k8s.service.ports[${j}].targetPort`,
                target,
                `port ${label} of gateway ${typeof name === 'string' ? name : `#${i}`} targets container port ${target}, which needs root (ports below 1024 are privileged)`,
                `use a targetPort of 1024 or more (e.g. ${target + 8000}) or set values.gateways.${values}.runAsRoot=true`,
              ),
            );
          }
        });
      }
      checkReplicas(spec, `${at}.k8s.replicaCount`, gw, ['values', 'gateways', values], out);
    });
    // Ports given the Helm way, under values.gateways: istioctl 1.27 accepts
    // these (the chart may let the proxy bind low ports), so only warn.
    const valuePorts = getPath(spec, ['values', 'gateways', values, 'ports']);
    if (Array.isArray(valuePorts) && !runAsRoot) {
      valuePorts.forEach((p: unknown, j) => {
        if (!isObject(p)) return;
        const target = p.targetPort ?? p.port;
        if (typeof target === 'number' && target < 1024) {
          out.push({
            severity: 'warning',
            path: `spec.values.gateways.${values}.ports[${j}].targetPort`,
            value: target,
            message: `port ${typeof p.name === 'string' ? p.name : 'port'}/${String(p.port)} targets container port ${target}, which may need root (ports below 1024 are privileged)`,
            fix: `use a targetPort of 1024 or more (e.g. ${target + 8000}) or set values.gateways.${values}.runAsRoot=true`,
          });
        }
      });
    }
  }
}

function checkReplicas(
  spec: JsonObject,
  path: string,
  component: JsonObject,
  valuesRoot: string[],
  out: Diagnostic[],
): void {
  const replicas = getPath(component, ['k8s', 'replicaCount']);
  if (replicas === undefined) return;
  // Istio's charts autoscale unless autoscaleEnabled is false.
  if (getPath(spec, [...valuesRoot, 'autoscaleEnabled']) === false) return;
  out.push({
    severity: 'warning',
    path,
    value: replicas,
    message: `has no lasting effect while ${formatPath(['spec', ...valuesRoot, 'autoscaleEnabled'])} is true (the default): the HorizontalPodAutoscaler sets the replicas`,
    fix: `set ${formatPath(['values', ...valuesRoot.slice(1), 'autoscaleEnabled'])}=false, or use k8s.hpaSpec.minReplicas`,
  });
}

function checkComponents(spec: JsonObject, out: Diagnostic[]): void {
  const components = spec.components;
  if (!isObject(components)) return;
  for (const name of ['pilot', 'cni', 'ztunnel', 'istiodRemote']) {
    const c = components[name];
    if (!isObject(c)) continue;
    checkImage(`spec.components.${name}`, c.hub, c.tag, out);
  }
  if (isObject(components.pilot)) {
    checkReplicas(
      spec,
      'spec.components.pilot.k8s.replicaCount',
      components.pilot,
      ['values', 'pilot'],
      out,
    );
  }
  if (isObject(components.istiodRemote) && components.istiodRemote.enabled === true) {
    out.push({
      severity: 'warning',
      path: 'spec.components.istiodRemote',
      message: 'is no component since Istio 1.26 and is ignored',
      fix: 'use profile: remote (or values.profile=remote) for a remote cluster',
    });
  }
}

/**
 * `values.global.readerServiceAccount` names a ServiceAccount the reader
 * ClusterRoleBinding binds; a binding's ServiceAccount subject needs a
 * namespace (the API server refuses one without), so name and namespace go
 * together — istioctl would render a binding the cluster then rejects.
 */
function checkReaderServiceAccount(spec: JsonObject, out: Diagnostic[]): void {
  const sa = getPath(spec, ['values', 'global', 'readerServiceAccount']);
  if (!isObject(sa)) return;
  const name = typeof sa.name === 'string' ? sa.name : '';
  const namespace = typeof sa.namespace === 'string' ? sa.namespace : '';
  if (name && !namespace) {
    out.push(
      err(
        'spec.values.global.readerServiceAccount.namespace',
        sa.namespace,
        'is required when readerServiceAccount.name is set (a ClusterRoleBinding subject needs its namespace)',
        `set the namespace of ServiceAccount ${name}`,
      ),
    );
  }
}

/**
 * `components.pilot.namespace` other than the install namespace. istioctl
 * (1.24 and later) renders such an istiod half in each: the Deployment,
 * Service and webhooks in the pilot namespace, but its ServiceAccount, Role,
 * RoleBinding and validating webhook in the install namespace, and on a real
 * API server the Deployment's pods are never created (no ServiceAccount
 * `istiod` where they run). Rather than install something else than
 * istioctl does, the operator refuses it and says how to move istiod whole.
 */
function checkPilotNamespace(spec: JsonObject, out: Diagnostic[]): void {
  const pilot = getPath(spec, ['components', 'pilot']);
  if (!isObject(pilot) || pilot.enabled === false) return;
  const ns = pilot.namespace;
  if (typeof ns !== 'string' || ns === '') return;
  const global = getPath(spec, ['values', 'global', 'istioNamespace']);
  const install =
    (typeof spec.namespace === 'string' && spec.namespace) ||
    (typeof global === 'string' && global) ||
    'istio-system';
  if (ns === install) return;
  out.push(
    err(
      'spec.components.pilot.namespace',
      ns,
      `differs from the install namespace ${install}: istioctl splits such an istiod between the two ` +
        `(ServiceAccount, Role and validator in ${install}) and its pods cannot start`,
      `to run istiod in ${ns}, set values.global.istioNamespace: ${ns} as well (the whole control plane moves there); ` +
        'else remove components.pilot.namespace',
    ),
  );
}

/**
 * Every semantic finding for an IstioOperator object (errors and warnings).
 * `spec.profile` is not checked here: profiles/ refuses an unknown profile
 * before it merges (there is nothing to merge it over), so this never sees one.
 */
export function semanticDiagnostics(obj: unknown): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (!isObject(obj) || !isObject(obj.spec)) return out;
  const spec = obj.spec;
  if (spec.installPackagePath !== undefined) {
    out.push(
      err(
        'spec.installPackagePath',
        spec.installPackagePath,
        'not supported: this operator renders components itself',
        'remove it (and the --manifests/-d flag); use hub/tag to pick images',
      ),
    );
  }
  checkImage('spec', spec.hub, spec.tag, out);
  checkRevision(spec, out);
  checkCompatibilityVersion(spec, out);
  checkComponents(spec, out);
  checkGateways(spec, out);
  checkProxy(spec, out);
  checkReaderServiceAccount(spec, out);
  checkPilotNamespace(spec, out);
  out.push(...multiClusterDiagnostics(spec));
  out.push(...findDeprecatedValues(spec));
  return out;
}
