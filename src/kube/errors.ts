import { ApiException } from './api-exception.js';

/**
 * A Kubernetes API error reduced to what callers decide on. client-node 1.x
 * throws `ApiException` whose body is the raw text of a `Status`; it is parsed
 * here once, so no caller ever string-matches a message.
 */
export interface KubeError {
  /** HTTP status code; 0 when the request never got an answer (network error). */
  code: number;
  /** `Status.reason` (NotFound, Conflict, AlreadyExists, Invalid, Expired, …) or `Network`. */
  reason: string;
  message: string;
  /** Seconds the server asked us to wait (Retry-After or `details.retryAfterSeconds`). */
  retryAfterSeconds?: number;
  /** Field causes of an Invalid error, as `field: message`. */
  causes: string[];
  /**
   * The `reason` of each cause (`NamespaceTerminating`, `FieldValueDuplicate`,
   * …): what a 403 or 422 is about, without reading its message.
   */
  causeReasons: string[];
  /**
   * False when the answer was not a Kubernetes `Status` but a plain body: the
   * API server's `404 page not found` for a path that nothing serves (a
   * custom resource whose CRD is absent), as opposed to a missing object.
   */
  statusBody: boolean;
}

interface StatusBody {
  kind?: string;
  reason?: string;
  message?: string;
  code?: number;
  details?: {
    retryAfterSeconds?: number;
    causes?: { field?: string; message?: string; reason?: string }[];
  };
}

function parseBody(body: unknown): StatusBody | undefined {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const st = parsed as StatusBody;
  return st.kind === 'Status' || typeof st.reason === 'string' ? st : undefined;
}

const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Gone',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

function plainBody(body: unknown): string {
  return typeof body === 'string' ? body.trim().slice(0, 300) : '';
}

/** Normalizes anything a client-node call may throw into a {@link KubeError}. */
export function toKubeError(err: unknown): KubeError {
  if (err instanceof ApiException) {
    const status = parseBody(err.body);
    const headerRetry = Number(err.headers?.['retry-after']);
    const retry =
      status?.details?.retryAfterSeconds ??
      (Number.isFinite(headerRetry) ? headerRetry : undefined);
    return {
      code: err.code,
      reason: status?.reason || REASON_BY_CODE[err.code] || 'Unknown',
      // A body that is not a Status (a plain "404 page not found") says more than
      // client-node's message, which embeds every response header.
      message: status?.message || plainBody(err.body) || `HTTP ${err.code}`,
      ...(retry !== undefined ? { retryAfterSeconds: retry } : {}),
      causes: (status?.details?.causes ?? []).map((c) =>
        `${c.field ?? ''}: ${c.message ?? ''}`.replace(/^: /, ''),
      ),
      causeReasons: (status?.details?.causes ?? []).flatMap((c) => (c.reason ? [c.reason] : [])),
      statusBody: status !== undefined,
    };
  }
  const e = err as { code?: unknown; message?: unknown; statusCode?: unknown } | undefined;
  if (typeof e?.statusCode === 'number') {
    return {
      code: e.statusCode,
      reason: REASON_BY_CODE[e.statusCode] ?? 'Unknown',
      message: String(e.message),
      causes: [],
      causeReasons: [],
      statusBody: false,
    };
  }
  return {
    code: 0,
    reason: 'Network',
    message: String(e?.message ?? err),
    causes: [],
    causeReasons: [],
    statusBody: false,
  };
}

// toKubeError already falls back from the code to a reason, so comparing
// reasons is enough (409 alone cannot tell Conflict from AlreadyExists).
const hasReason = (err: unknown, reason: string) => toKubeError(err).reason === reason;

/** The object (or its kind) does not exist. */
export function isNotFound(err: unknown): boolean {
  return hasReason(err, 'NotFound');
}
/** Optimistic-concurrency conflict or a server-side-apply field conflict. */
export function isConflict(err: unknown): boolean {
  return hasReason(err, 'Conflict');
}
/** Create of an object that exists. */
export function isAlreadyExists(err: unknown): boolean {
  return hasReason(err, 'AlreadyExists');
}
/** The resourceVersion a watch or list asked for is too old (410 Gone / Expired). */
export function isGone(err: unknown): boolean {
  const k = toKubeError(err);
  return k.code === 410 || k.reason === 'Gone' || k.reason === 'Expired';
}
/**
 * A create refused because its namespace is being deleted (403 Forbidden
 * with the cause `NamespaceTerminating`): nothing to fix, only to wait for.
 */
export function isNamespaceTerminating(err: unknown): boolean {
  const k = toKubeError(err);
  return k.code === 403 && k.causeReasons.includes('NamespaceTerminating');
}
/**
 * The request's path is served by nothing (a plain `404 page not found`, not
 * a NotFound Status): the kind does not exist in this cluster, typically a
 * custom resource whose CRD is not installed.
 */
export function isKindNotServed(err: unknown): boolean {
  const k = toKubeError(err);
  return k.code === 404 && !k.statusBody;
}

/** A one-line description for logs and status messages. */
export function describeKubeError(err: unknown): string {
  const k = toKubeError(err);
  const causes = k.causes.length > 0 ? ` (${k.causes.join('; ')})` : '';
  return `${k.reason}${k.code ? ` ${k.code}` : ''}: ${k.message}${causes}`;
}
