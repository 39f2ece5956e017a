import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startLoopbackServer, type LoopbackServer } from '../../support/loopback-server.js';
import { toKubeError } from '../../../src/kube/errors.js';
import { openWatch, type WatchEvent } from '../../../src/kube/watch.js';

describe('openWatch (loopback server)', () => {
  let server: LoopbackServer;
  let kc: k8s.KubeConfig;
  let handler: (req: IncomingMessage, res: ServerResponse) => void = () => undefined;
  const urls: string[] = [];

  before(async () => {
    server = await startLoopbackServer((req, res) => {
      urls.push(req.url ?? '');
      handler(req, res);
    });
    kc = server.kc;
  });
  after(async () => {
    await server.close();
  });
  beforeEach(() => {
    urls.length = 0;
  });

  const run = (query: Record<string, string | number | boolean | undefined> = {}) =>
    new Promise<{ events: WatchEvent[]; err: unknown }>((resolve) => {
      const events: WatchEvent[] = [];
      openWatch(
        kc,
        '/api/v1/configmaps',
        query,
        (e) => events.push(e),
        (err) => resolve({ events, err }),
      );
    });

  it('sends watch=true with the query, and parses events split across chunks', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const a = JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } });
      const b = JSON.stringify({
        type: 'BOOKMARK',
        object: { metadata: { resourceVersion: '7' } },
      });
      res.write(a.slice(0, 10));
      setTimeout(() => {
        res.write(a.slice(10) + '\n' + b);
        setTimeout(() => res.end('\n'), 10);
      }, 10);
    };
    const { events, err } = await run({
      resourceVersion: '5',
      labelSelector: 'x=y',
      skip: undefined,
    });
    assert.equal(err, undefined, 'a stream the server ends is not an error');
    assert.deepEqual(
      events.map((e) => e.type),
      ['ADDED', 'BOOKMARK'],
    );
    const q = new URL(urls[0]!, 'http://x').searchParams;
    assert.equal(q.get('watch'), 'true');
    assert.equal(q.get('resourceVersion'), '5');
    assert.equal(q.get('labelSelector'), 'x=y');
    assert.equal(q.has('skip'), false);
  });

  it('hands an in-stream ERROR event over like any other', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.end(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410 } }) + '\n');
    };
    const { events, err } = await run();
    assert.equal(err, undefined);
    assert.deepEqual(events, [{ type: 'ERROR', object: { kind: 'Status', code: 410 } }]);
  });

  for (const code of [410, 404, 500]) {
    it(`reports an HTTP ${code} as an error kube/errors.ts reads`, async () => {
      handler = (_req, res) => {
        res.writeHead(code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', code, reason: 'Whatever', message: 'no' }));
      };
      const { events, err } = await run();
      assert.deepEqual(events, []);
      assert.equal(toKubeError(err).code, code);
    });
  }

  it('can be aborted before the server answers, and then reports nothing', async () => {
    let arrived!: () => void;
    const seen = new Promise<void>((r) => (arrived = r));
    handler = () => arrived(); // never answers
    let done = false;
    const h = openWatch(
      kc,
      '/api/v1/configmaps',
      {},
      () => undefined,
      () => (done = true),
    );
    await seen;
    assert.equal(h.open, false, 'not open before the server answers');
    h.abort();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(done, false);
  });
});
