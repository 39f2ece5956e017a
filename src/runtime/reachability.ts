import type { KubeAccess } from '../kube/access.js';
import { toKubeError } from '../kube/errors.js';
import { kubeRequest } from '../kube/request.js';

/** How often the API server's `/readyz` is asked while someone waits for it. */
const PROBE_INTERVAL_MS = 1000;

/**
 * Notices when the API server comes back after being unreachable, so that
 * informers backing off after network errors (up to 30 s between attempts)
 * resume at once instead of staying blind for up to their whole backoff
 * after a kube-apiserver restart.
 *
 * While anyone waits, `/readyz` is asked once a second — one request for all
 * the informers of a kubeconfig, not one per informer. Waiters are woken
 * only on a transition: the probe failed (no answer, 429 or 5xx) and then
 * succeeds. A server that was reachable all along (a single connection
 * reset, a proxy dropping watches) wakes nobody, so backoff keeps its say
 * there. `/readyz` is readable by every authenticated user
 * (`system:public-info-viewer`); a 401/403 still proves the server answers.
 */
export class Reachability {
  private readonly waiters = new Set<() => void>();
  private down = false;
  private probing = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly kubeConfig: KubeAccess,
    private readonly intervalMs = PROBE_INTERVAL_MS,
  ) {}

  /**
   * Calls `wake` (once) when the server, found unreachable, answers again.
   * Returns the function that stops waiting; call it when the wait ends
   * otherwise (the backoff timer fired).
   */
  whenBack(wake: () => void): () => void {
    this.waiters.add(wake);
    this.schedule(0);
    return () => {
      this.waiters.delete(wake);
    };
  }

  private schedule(ms: number): void {
    if (this.timer || this.probing || this.waiters.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.probe();
    }, ms);
    this.timer.unref();
  }

  private async probe(): Promise<void> {
    this.probing = true;
    let up: boolean;
    try {
      await kubeRequest(this.kubeConfig, 'GET', '/readyz');
      up = true;
    } catch (err) {
      const code = toKubeError(err).code;
      up = code === 401 || code === 403;
    }
    this.probing = false;
    if (!up) {
      this.down = true;
    } else if (this.down) {
      this.down = false;
      const woken = [...this.waiters];
      this.waiters.clear();
      for (const w of woken) w();
    }
    // Nobody waits any more: an old outage must not wake the next waiter.
    if (this.waiters.size === 0) this.down = false;
    this.schedule(this.intervalMs);
  }
}

const shared = new WeakMap<KubeAccess, Reachability>();

/** The one {@link Reachability} of a kubeconfig, shared by every informer using it. */
export function reachabilityOf(kubeConfig: KubeAccess): Reachability {
  let r = shared.get(kubeConfig);
  if (!r) shared.set(kubeConfig, (r = new Reachability(kubeConfig)));
  return r;
}
