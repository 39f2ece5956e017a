import type { ContainerView, PodView } from './types.js';

/** The proxy a pod carries now, as its injection left it. */
export interface CurrentProxy {
  /** The revision that injected it (`default` for the revision-less install). */
  revision: string;
  /** The Istio version of its `istio-proxy` image (`1.27.0` of `…/proxyv2:1.27.0-distroless`); '' when unknown. */
  version: string;
  /** The `istio-proxy` container's image as the pod declares it; '' when there is none. */
  image: string;
}

/** Image tag variants the injector appends (`-debug`, `-distroless`), which name no other version. */
const VARIANT = /-(debug|distroless)$/;

/**
 * The proxy of an injected pod, or undefined when it carries none. A pod is
 * injected when it has the injector's `sidecar.istio.io/status` annotation
 * (whose `revision` key names the injecting revision) or an `istio-proxy`
 * container; the revision falls back to the pod's `istio.io/rev` label (the
 * injector sets it too), then `default`. The proxy runs in `containers`,
 * or in `initContainers` with native sidecars.
 */
export function currentProxy(
  pod: Pick<PodView, 'labels' | 'annotations' | 'containers' | 'initContainers'>,
): CurrentProxy | undefined {
  const status = pod.annotations['sidecar.istio.io/status'];
  const proxy = findProxy(pod.containers) ?? findProxy(pod.initContainers);
  if (status === undefined && proxy === undefined) return undefined;
  const image = proxy?.image ?? '';
  return {
    revision: statusRevision(status) || pod.labels['istio.io/rev'] || 'default',
    version: imageVersion(image),
    image,
  };
}

function findProxy(cs: ContainerView[]): ContainerView | undefined {
  return cs.find((c) => c.name === 'istio-proxy');
}

/** The `revision` key of the status annotation's JSON; '' when absent or unreadable. */
function statusRevision(status: string | undefined): string {
  if (!status) return '';
  try {
    const parsed: unknown = JSON.parse(status);
    if (parsed && typeof parsed === 'object' && 'revision' in parsed) {
      const rev = (parsed as { revision?: unknown }).revision;
      return typeof rev === 'string' ? rev : '';
    }
  } catch {
    // A hand-written or truncated annotation: the label decides.
  }
  return '';
}

/**
 * The Istio version an image runs: its tag without the variant suffix;
 * '' for a digest-only or tagless reference (its version cannot be read,
 * so it is never called stale for its version alone).
 */
export function imageVersion(image: string): string {
  const ref = image.split('@')[0] ?? '';
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon <= slash) return '';
  return ref.slice(colon + 1).replace(VARIANT, '');
}
