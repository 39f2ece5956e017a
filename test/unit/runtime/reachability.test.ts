import assert from 'node:assert/strict';
import { Reachability } from '../../../src/runtime/reachability.js';
import { startLoopbackServer, type LoopbackServer } from '../../support/loopback-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('reachability: waking informers when the API server answers again', () => {
  let server: LoopbackServer;
  /** What /readyz answers now. */
  let readyz = 200;
  let probes = 0;

  beforeEach(async () => {
    probes = 0;
    server = await startLoopbackServer((req, res) => {
      if (req.url === '/readyz') probes++;
      res.writeHead(req.url === '/readyz' ? readyz : 404).end(readyz === 200 ? 'ok' : 'not ready');
    });
  });
  afterEach(() => server.close());

  it('wakes every waiter once the server, found failing, answers /readyz again', async () => {
    readyz = 500;
    const r = new Reachability(server.kc, 20);
    const woken: string[] = [];
    r.whenBack(() => woken.push('a'));
    r.whenBack(() => woken.push('b'));
    await sleep(200);
    assert.deepEqual(woken, [], 'not while the server fails');
    const n = probes;
    assert.ok(n >= 3 && n <= 12, `one probe per interval for all waiters: ${n}`);
    readyz = 200;
    await sleep(200);
    assert.deepEqual(woken.sort(), ['a', 'b']);
    const after = probes;
    await sleep(200);
    assert.equal(probes, after, 'no probes once nobody waits');
  });

  it('wakes nobody when the server answered all along (backoff keeps its say)', async () => {
    readyz = 200;
    const r = new Reachability(server.kc, 20);
    let woken = false;
    const stop = r.whenBack(() => (woken = true));
    await sleep(200);
    assert.equal(woken, false);
    stop();
  });

  it('a waiter that stopped waiting is not woken, and an old outage wakes no later waiter', async () => {
    readyz = 500;
    const r = new Reachability(server.kc, 20);
    let first = false;
    const stop = r.whenBack(() => (first = true));
    await sleep(100);
    stop();
    readyz = 200;
    await sleep(100);
    let second = false;
    r.whenBack(() => (second = true));
    await sleep(150);
    assert.equal(first, false);
    assert.equal(second, false);
  });
});
