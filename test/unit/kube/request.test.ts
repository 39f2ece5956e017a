import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startLoopbackServer, type LoopbackServer } from '../../support/loopback-server.js';
import { LightKubeConfig } from '../../../src/kube/access.js';
import { toKubeError } from '../../../src/kube/errors.js';
import { kubeRequest, retryAfterMs, throttling } from '../../../src/kube/request.js';

describe('kubeRequest: Retry-After', () => {
  describe('retryAfterMs', () => {
    const now = Date.parse('2026-11-21T12:00:00Z');
    const status = (details?: object) =>
      JSON.stringify({ kind: 'Status', code: 429, ...(details ? { details } : {}) });
    const cases: [string, number, Record<string, string>, string, number | undefined][] = [
      ['429 with Retry-After seconds', 429, { 'retry-after': '3' }, '', 3000],
      ['429 with an HTTP-date', 429, { 'retry-after': 'Sat, 21 Nov 2026 12:00:05 GMT' }, '', 5000],
      ['429 with details.retryAfterSeconds', 429, {}, status({ retryAfterSeconds: 2 }), 2000],
      [
        'the header wins over the body',
        429,
        { 'retry-after': '1' },
        status({ retryAfterSeconds: 9 }),
        1000,
      ],
      ['429 without any: 1 s', 429, {}, 'not json', 1000],
      ['503 with Retry-After', 503, { 'retry-after': '4' }, '', 4000],
      ['500 without Retry-After: not throttling', 500, {}, status(), undefined],
      ['409: not throttling', 409, { 'retry-after': '4' }, '', undefined],
      [
        'a date in the past: no wait',
        429,
        { 'retry-after': 'Sat, 21 Nov 2026 11:00:00 GMT' },
        '',
        0,
      ],
    ];
    for (const [name, code, headers, body, want] of cases) {
      it(name, () => assert.equal(retryAfterMs(code, headers, body, now), want));
    }
  });

  describe('against a loopback server', () => {
    let server: LoopbackServer;
    let kc: k8s.KubeConfig;
    let handler: (req: IncomingMessage, res: ServerResponse) => void = () => undefined;
    const seen: { path: string; at: number }[] = [];

    before(async () => {
      server = await startLoopbackServer((req, res) => {
        seen.push({ path: req.url ?? '', at: Date.now() });
        handler(req, res);
      });
      kc = server.kc;
    });
    after(async () => {
      await server.close();
    });
    beforeEach(() => {
      seen.length = 0;
    });

    const throttleFirst = (n: number, retryAfter: string) => {
      let count = 0;
      handler = (_req, res) => {
        count++;
        if (count <= n) {
          res.writeHead(429, { 'Retry-After': retryAfter, 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ kind: 'Status', code: 429, reason: 'TooManyRequests' }));
        } else {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{"kind":"ConfigMap"}');
        }
      };
    };

    it('waits Retry-After and retries the throttled request', async function () {
      this.timeout(10_000);
      throttleFirst(1, '1');
      const res = await kubeRequest(kc, 'GET', '/api/v1/namespaces/a/configmaps/x');
      assert.equal(res.status, 200);
      assert.equal(seen.length, 2);
      assert.ok(seen[1]!.at - seen[0]!.at >= 1000, `retried after ${seen[1]!.at - seen[0]!.at} ms`);
    });

    it('gives up after 10 attempts, with the delay in the error', async function () {
      this.timeout(10_000);
      throttleFirst(100, '0');
      await assert.rejects(kubeRequest(kc, 'GET', '/api/v1/namespaces/b/configmaps/x'), (e) => {
        const k = toKubeError(e);
        return k.code === 429 && k.retryAfterSeconds === 0;
      });
      assert.equal(seen.length, 10);
    });

    it('holds the same request back until Retry-After has passed, even when the caller retries it', async function () {
      this.timeout(10_000);
      // Retry-After longer than what is waited out in place: the first call fails at once.
      const saved = throttling.maxInlineWaitMs;
      throttling.maxInlineWaitMs = 0;
      try {
        throttleFirst(1, '1');
        const t0 = Date.now();
        await assert.rejects(
          kubeRequest(kc, 'GET', '/api/v1/namespaces/c/configmaps/x'),
          (e) => toKubeError(e).code === 429,
        );
        assert.ok(Date.now() - t0 < 500, 'failed at once');
        // Another request goes out at once; the throttled one waits its turn.
        await kubeRequest(kc, 'GET', '/api/v1/namespaces/c/configmaps/other');
        assert.ok(Date.now() - t0 < 500, 'another request is not held');
        await kubeRequest(kc, 'GET', '/api/v1/namespaces/c/configmaps/x');
        assert.deepEqual(
          seen.map((s) => s.path),
          [
            '/api/v1/namespaces/c/configmaps/x',
            '/api/v1/namespaces/c/configmaps/other',
            '/api/v1/namespaces/c/configmaps/x',
          ],
        );
        assert.ok(
          seen[2]!.at - seen[0]!.at >= 1000,
          `sent again after ${seen[2]!.at - seen[0]!.at} ms`,
        );
      } finally {
        throttling.maxInlineWaitMs = saved;
      }
    });

    it('does not retry a 500 without Retry-After (the caller backs off)', async () => {
      handler = (_req, res) => {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', code: 500, reason: 'InternalError' }));
      };
      await assert.rejects(
        kubeRequest(kc, 'PATCH', '/api/v1/namespaces/d/configmaps/x', {}),
        (e) => toKubeError(e).code === 500,
      );
      assert.equal(seen.length, 1);
    });
  });
});

describe('kubeRequest: kept-alive connections', () => {
  let server: LoopbackServer;
  let kc: LightKubeConfig;
  /** Requests seen per connection, in the order the connections were opened. */
  const perSocket = new Map<object, string[]>();
  /** Whether a request that arrives on a connection already used is answered by closing it. */
  let closeReused = false;

  // A server per test, so that no pooled connection carries over.
  beforeEach(async () => {
    perSocket.clear();
    closeReused = false;
    server = await startLoopbackServer((req, res) => {
      const seen = perSocket.get(req.socket) ?? [];
      perSocket.set(req.socket, [...seen, `${req.method} ${req.url}`]);
      if (closeReused && seen.length > 0) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
    // The operator's own credentials leave the connection handling to kubeRequest.
    const url = server.kc.getCurrentCluster()!.server;
    kc = new LightKubeConfig({ name: 'c', server: url, skipTLSVerify: true }, {});
  });
  afterEach(async () => {
    await server.close();
  });

  it('sends consecutive requests over one connection', async () => {
    for (let i = 0; i < 5; i++) {
      assert.equal((await kubeRequest(kc, 'GET', `/api/v1/namespaces/n${i}`)).status, 200);
    }
    assert.deepEqual(
      [...perSocket.values()].map((reqs) => reqs.length),
      [5],
    );
  });

  it('sends an idempotent request again on a new connection when the kept-alive one was closed', async () => {
    closeReused = true;
    await kubeRequest(kc, 'GET', '/api/v1/namespaces/a');
    const res = await kubeRequest(
      kc,
      'PATCH',
      '/api/v1/namespaces/b',
      {},
      'application/apply-patch+yaml',
    );
    assert.equal(res.status, 200);
    assert.deepEqual(
      [...perSocket.values()],
      [['GET /api/v1/namespaces/a', 'PATCH /api/v1/namespaces/b'], ['PATCH /api/v1/namespaces/b']],
    );
  });

  it('does not send a create twice: the error goes to the caller, whose retry decides', async () => {
    closeReused = true;
    await kubeRequest(kc, 'GET', '/api/v1/namespaces/a');
    await assert.rejects(
      kubeRequest(kc, 'POST', '/api/v1/namespaces', { metadata: { name: 'x' } }),
      {
        code: 'ECONNRESET',
      },
    );
    assert.deepEqual(
      [...perSocket.values()],
      [['GET /api/v1/namespaces/a', 'POST /api/v1/namespaces']],
    );
  });
});
