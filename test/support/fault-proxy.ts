import * as k8s from '@kubernetes/client-node';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  createServer,
  request as httpsRequest,
  type RequestOptions,
  type Server,
} from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePki } from '../../src/cluster/pki.js';

/** The Kubernetes verb of a request, as the API server's audit log would name it. */
export type Verb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'apply'
  | 'delete'
  | 'deletecollection'
  | 'other';

/** What the proxy knows about one request when it decides on a fault. */
export interface RequestInfo {
  method: string;
  /** The URL path, without the query. */
  path: string;
  query: URLSearchParams;
  verb: Verb;
  watch: boolean;
  /** Plural resource (`deployments`), subresource (`status`), namespace and name, when the path names them. */
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** One fault the proxy can inject instead of (or before) forwarding a request. */
export type Fault =
  /** Answer with this HTTP status and a Kubernetes Status body; optional Retry-After header. */
  | { kind: 'status'; code: number; retryAfterSeconds?: number }
  /** Forward after a delay. */
  | { kind: 'delay'; ms: number }
  /** Reset the client's TCP connection without an answer. */
  | { kind: 'reset' }
  /** Watches only: answer 200 and then send nothing, keeping the stream open. */
  | { kind: 'silent' }
  /** Watches only: answer 200, send an in-stream `ERROR` event with a 410 Status, and end. */
  | { kind: 'gone-event' };

/** Which requests a fault applies to; every given field must match. */
export interface Match {
  verbs?: Verb[];
  methods?: string[];
  /** Plural resources, e.g. `['istiooperators']`. */
  resources?: string[];
  /** True: watches only; false: everything but watches. */
  watch?: boolean;
  path?: RegExp;
  /** Any further condition. */
  where?: (r: RequestInfo) => boolean;
}

/** One request as the proxy saw it. */
export interface RequestRecord {
  /** Milliseconds since the proxy started, when the request arrived. */
  at: number;
  verb: Verb;
  method: string;
  path: string;
  /** labelSelector and fieldSelector, if any: with verb and path they tell informers apart. */
  selector?: string;
  resource?: string;
  /** Status sent to the client (0: reset or still streaming when recorded). */
  status: number;
  /** The fault injected, if any (`status 429`, `delay 500`, `reset`, …). */
  fault?: string;
  /** For injected 429s and 5xx with Retry-After: the seconds asked for. */
  retryAfterSeconds?: number;
}

interface Rule {
  id: number;
  match: Match;
  fault: Fault;
}

/** Splits an API path into resource, subresource, namespace and name. */
export function parseApiPath(
  path: string,
): Pick<RequestInfo, 'resource' | 'subresource' | 'namespace' | 'name'> {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) rest = parts.slice(2);
  else if (parts[0] === 'apis' && parts.length >= 3) rest = parts.slice(3);
  else return {};
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    return {
      namespace: rest[1],
      resource: rest[2],
      ...(rest[3] !== undefined ? { name: rest[3] } : {}),
      ...(rest[4] !== undefined ? { subresource: rest[4] } : {}),
    };
  }
  return {
    ...(rest[0] !== undefined ? { resource: rest[0] } : {}),
    ...(rest[1] !== undefined ? { name: rest[1] } : {}),
    ...(rest[2] !== undefined ? { subresource: rest[2] } : {}),
  };
}

/** The verb of a request from its method, path, query and content type. */
export function verbOf(
  method: string,
  path: string,
  query: URLSearchParams,
  contentType = '',
): Verb {
  const { name, resource } = parseApiPath(path);
  if (!resource) return 'other';
  switch (method) {
    case 'GET':
      if (query.get('watch') === 'true' || query.get('watch') === '1') return 'watch';
      return name === undefined ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return contentType.startsWith('application/apply-patch') ? 'apply' : 'patch';
    case 'DELETE':
      return name === undefined ? 'deletecollection' : 'delete';
    default:
      return 'other';
  }
}

function matches(m: Match, r: RequestInfo): boolean {
  if (m.verbs && !m.verbs.includes(r.verb)) return false;
  if (m.methods && !m.methods.includes(r.method)) return false;
  if (m.resources && !(r.resource && m.resources.includes(r.resource))) return false;
  if (m.watch !== undefined && m.watch !== r.watch) return false;
  if (m.path && !m.path.test(r.path)) return false;
  if (m.where && !m.where(r)) return false;
  return true;
}

function describeFault(f: Fault): string {
  switch (f.kind) {
    case 'status':
      return `status ${f.code}`;
    case 'delay':
      return `delay ${f.ms}`;
    default:
      return f.kind;
  }
}

const REASONS: Record<number, string> = {
  410: 'Expired',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

function statusBody(code: number, message: string, retryAfterSeconds?: number): string {
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: REASONS[code] ?? 'Unknown',
    ...(retryAfterSeconds !== undefined ? { details: { retryAfterSeconds } } : {}),
    code,
  });
}

/**
 * A loopback HTTPS proxy between the operator and the real kube-apiserver,
 * for fault tests. It terminates TLS with a certificate of its own (a fresh
 * serving CA from cluster/pki.ts), forwards each request upstream with the
 * admin client certificate of the harness kubeconfig — one connection per
 * request, streaming both ways so watches work — and, for requests matching
 * the rules switched on at run time, injects faults instead: an HTTP status
 * (500, 429 with Retry-After, 410 on a watch), a delay, a connection reset,
 * a silent watch or an in-stream 410 `ERROR` event. Every request is
 * recorded with its verb and time, so tests can bound request rates.
 */
export class FaultProxy {
  private server: Server | undefined;
  private dir: string | undefined;
  private caPem = '';
  private upstream: URL;
  private upstreamTls: RequestOptions = {};
  private rules: Rule[] = [];
  private nextRule = 1;
  private t0 = Date.now();
  /** Open watch streams, each with how to end it (and its upstream request). */
  private readonly watches = new Map<ServerResponse, (last?: string) => void>();
  private readonly watchInfo = new Map<
    ServerResponse,
    { resource: string | undefined; since: number }
  >();
  private readonly sockets = new Set<Socket>();
  /** Every request so far, in arrival order. */
  readonly log: RequestRecord[] = [];
  /** The port, once started. */
  port = 0;

  constructor(private readonly target: k8s.KubeConfig) {
    const cluster = target.getCurrentCluster();
    if (!cluster) throw new Error('FaultProxy: the target kubeconfig has no current cluster');
    this.upstream = new URL(cluster.server);
  }

  /** Starts listening on a free loopback port. */
  async start(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'fault-proxy-'));
    const pki = await generatePki(this.dir, []);
    this.caPem = await readFile(pki.servingCa, 'utf8');
    const opts: RequestOptions = {};
    await this.target.applyToHTTPSOptions(opts);
    // The per-request agent client-node makes is what it would reuse; we make
    // a fresh connection per forwarded request instead (agent: false).
    this.upstreamTls = {
      ...(opts.ca ? { ca: opts.ca } : {}),
      ...(opts.cert ? { cert: opts.cert } : {}),
      ...(opts.key ? { key: opts.key } : {}),
      ...(opts.headers ? { headers: opts.headers } : {}),
    };
    this.server = createServer(
      {
        cert: await readFile(pki.servingCert, 'utf8'),
        key: await readFile(pki.servingKey, 'utf8'),
      },
      (req, res) => this.handle(req, res),
    );
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const addr = this.server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
    this.t0 = Date.now();
  }

  /** Closes the listener and every open connection, and removes the PKI. */
  async stop(): Promise<void> {
    this.rules = [];
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  /**
   * A kubeconfig that reaches the API server through this proxy: same user
   * and context names, server `https://127.0.0.1:<port>`, our CA.
   */
  kubeConfig(): k8s.KubeConfig {
    const cluster = this.target.getCurrentCluster()!;
    const out = new k8s.KubeConfig();
    out.loadFromOptions({
      clusters: [
        {
          name: cluster.name,
          server: `https://127.0.0.1:${this.port}`,
          caData: Buffer.from(this.caPem).toString('base64'),
          skipTLSVerify: false,
        },
      ],
      users: this.target.getUsers(),
      contexts: this.target.getContexts(),
      currentContext: this.target.getCurrentContext(),
    });
    return out;
  }

  /** Milliseconds since start (the clock of {@link log}). */
  now(): number {
    return Date.now() - this.t0;
  }

  /**
   * Switches a fault on for matching requests (the first matching rule
   * wins); returns a function that switches it off again.
   */
  inject(match: Match, fault: Fault): () => void {
    const id = this.nextRule++;
    this.rules.push({ id, match, fault });
    return () => {
      this.rules = this.rules.filter((r) => r.id !== id);
    };
  }

  /** Switches every fault off. */
  clear(): void {
    this.rules = [];
  }

  /**
   * Ends every open watch stream cleanly (as the API server does at a watch
   * timeout), so clients re-watch and meet whatever faults are on now.
   */
  endWatches(): void {
    for (const end of [...this.watches.values()]) end();
  }

  /**
   * Ends every open watch stream with an in-stream 410 `ERROR` event, as the
   * API server does when a watch's resourceVersion has been compacted away.
   */
  expireWatches(): void {
    for (const end of [...this.watches.values()]) end(goneEvent());
  }

  /**
   * Watch streams open right now: of one plural resource if given, and open
   * for at least `minAgeMs` (a client counts a watch as working after a while).
   */
  openWatches(resource?: string, minAgeMs = 0): number {
    const now = this.now();
    return [...this.watchInfo.values()].filter(
      (w) => (resource === undefined || w.resource === resource) && now - w.since >= minAgeMs,
    ).length;
  }

  private track(res: ServerResponse, info: RequestInfo, stopUpstream?: () => void): void {
    this.watchInfo.set(res, { resource: info.resource, since: this.now() });
    res.on('close', () => this.watchInfo.delete(res));
    this.watches.set(res, (last) => {
      this.watchInfo.delete(res);
      this.watches.delete(res);
      stopUpstream?.();
      if (!res.writableEnded) res.end(last);
    });
    res.on('close', () => this.watches.delete(res));
  }

  /** Requests in `[from, to)` (proxy clock), optionally filtered. */
  requests(from = 0, to = Infinity, filter?: (r: RequestRecord) => boolean): RequestRecord[] {
    return this.log.filter((r) => r.at >= from && r.at < to && (!filter || filter(r)));
  }

  /** Counts by verb of the requests in `[from, to)`. */
  countByVerb(from = 0, to = Infinity): Partial<Record<Verb, number>> {
    const out: Partial<Record<Verb, number>> = {};
    for (const r of this.requests(from, to)) out[r.verb] = (out[r.verb] ?? 0) + 1;
    return out;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://proxy.invalid');
    const method = req.method ?? 'GET';
    const verb = verbOf(method, url.pathname, url.searchParams, req.headers['content-type']);
    const info: RequestInfo = {
      method,
      path: url.pathname,
      query: url.searchParams,
      verb,
      watch: verb === 'watch',
      ...parseApiPath(url.pathname),
    };
    const selector = ['labelSelector', 'fieldSelector']
      .map((k) => url.searchParams.get(k))
      .filter(Boolean)
      .join(' ');
    const record: RequestRecord = {
      at: this.now(),
      verb,
      method,
      path: url.pathname,
      ...(selector ? { selector } : {}),
      ...(info.resource ? { resource: info.resource } : {}),
      status: 0,
    };
    this.log.push(record);
    const rule = this.rules.find((r) => matches(r.match, info));
    const fault = rule?.fault;
    if (fault) record.fault = describeFault(fault);
    res.on('finish', () => (record.status = res.statusCode));

    if (!fault) return this.forward(req, res, info, record);
    switch (fault.kind) {
      case 'status': {
        req.resume();
        if (fault.retryAfterSeconds !== undefined)
          record.retryAfterSeconds = fault.retryAfterSeconds;
        const body = statusBody(
          fault.code,
          `injected by the fault proxy: ${fault.code}`,
          fault.retryAfterSeconds,
        );
        res.writeHead(fault.code, {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          ...(fault.retryAfterSeconds !== undefined
            ? { 'Retry-After': String(fault.retryAfterSeconds) }
            : {}),
        });
        res.end(body);
        return;
      }
      case 'delay': {
        const timer = setTimeout(() => this.forward(req, res, info, record), fault.ms);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      case 'reset': {
        // A TLS socket cannot send a TCP RST itself; its underlying socket can.
        const raw = (req.socket as unknown as { _parent?: Socket })._parent;
        if (raw) raw.resetAndDestroy();
        else req.socket.destroy();
        return;
      }
      case 'silent':
      case 'gone-event': {
        if (!info.watch) return this.forward(req, res, info, record);
        req.resume();
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        record.status = 200;
        if (fault.kind === 'gone-event') {
          res.end(goneEvent());
        } else {
          res.flushHeaders();
          this.track(res, info);
        }
        return;
      }
    }
  }

  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    info: RequestInfo,
    record: RequestRecord,
  ): void {
    if (res.destroyed) return;
    const headers = { ...req.headers };
    delete headers.host;
    delete headers.connection;
    delete headers.authorization; // we authenticate with the admin certificate
    const up = httpsRequest(
      {
        ...this.upstreamTls,
        host: this.upstream.hostname,
        port: this.upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...headers, ...(this.upstreamTls.headers ?? {}), connection: 'close' },
        agent: false,
      },
      (upRes) => {
        record.status = upRes.statusCode ?? 0;
        const h = { ...upRes.headers };
        delete h.connection;
        res.writeHead(upRes.statusCode ?? 502, h);
        if (info.watch && upRes.statusCode === 200) {
          res.flushHeaders();
          this.track(res, info, () => {
            upRes.unpipe(res);
            up.destroy();
          });
        }
        upRes.pipe(res);
        upRes.on('error', () => res.destroy());
      },
    );
    up.on('error', () => {
      if (!res.headersSent) {
        const body = statusBody(502, 'fault proxy: upstream unreachable');
        res.writeHead(502, { 'Content-Type': 'application/json' });
        res.end(body);
      } else res.destroy();
    });
    // The client went away (a watch stopped): stop the upstream request too.
    res.on('close', () => up.destroy());
    req.pipe(up);
  }
}

function goneEvent(): string {
  return (
    JSON.stringify({
      type: 'ERROR',
      object: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'too old resource version (injected by the fault proxy)',
        reason: 'Expired',
        code: 410,
      },
    }) + '\n'
  );
}
