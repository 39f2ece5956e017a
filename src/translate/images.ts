import { getString } from '../json/values.js';
import type { JsonObject } from '../json/value.js';

/**
 * `<hub>/<image>:<tag>[-<variant>]`, or `image` itself when it is a full
 * reference (holds a `/`); the variant `default` adds no suffix.
 */
export function imageRef(hub: string, image: string, tag: string, variant = ''): string {
  if (image.includes('/')) return image;
  const v = variant && variant !== 'default' ? `-${variant}` : '';
  return `${hub}/${image}:${tag}${v}`;
}

/**
 * The container image a component runs, from its values root (`pilot`,
 * `cni`, `ztunnel`, `gateways.<gw>`): the chart's image name (overridable
 * by `<root>.image`, gateways by `global.proxy.image`) and variant (the
 * component's, else `global.variant`; gateways take the global one only,
 * as their chart does). Base runs no image: ''.
 */
export function componentImage(values: JsonObject, root: string, hub: string, tag: string): string {
  const variant = (own: boolean) =>
    (own ? getString(values, `${root}.variant`) : '') || getString(values, 'global.variant');
  if (root === 'base') return '';
  if (root.startsWith('gateways.')) {
    return imageRef(hub, getString(values, 'global.proxy.image') || 'proxyv2', tag, variant(false));
  }
  const name = { pilot: 'pilot', cni: 'install-cni', ztunnel: 'ztunnel' }[root] ?? root;
  return imageRef(hub, getString(values, `${root}.image`) || name, tag, variant(true));
}

/**
 * A component's image pull policy: its own (`cni.pullPolicy`,
 * `ztunnel.imagePullPolicy`, as those charts name it), else
 * `global.imagePullPolicy`; '' leaves it to Kubernetes.
 */
export function componentPullPolicy(values: JsonObject, root: string): string {
  const own = { cni: 'cni.pullPolicy', ztunnel: 'ztunnel.imagePullPolicy' }[root];
  return (own && getString(values, own)) || getString(values, 'global.imagePullPolicy');
}
