import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  egressSelectorConfig,
  isLoopback,
  parseServiceList,
  readBackends,
  registerLocalBackend,
  route,
  startEgressProxy,
  unregisterLocalBackend,
  type ServiceInfo,
} from '../../../src/cluster/egress.js';

const istiod: ServiceInfo = {
  namespace: 'istio-system',
  name: 'istiod',
  clusterIPs: ['10.0.0.137'],
  ports: [443, 15010, 15012, 15014],
};

describe('egress proxy routing (cluster/egress)', () => {
  it('dials loopback targets as named and never anything else directly', () => {
    assert.deepEqual(route('127.0.0.1', 9443, [], {}), {
      dial: { host: '127.0.0.1', port: 9443 },
    });
    assert.deepEqual(route('[::1]', 8443, [], {}), { dial: { host: '::1', port: 8443 } });
    assert.ok(isLoopback('localhost'));
    assert.ok(isLoopback('127.8.9.10'));
    assert.ok(!isLoopback('10.0.0.1'));
    assert.ok(!isLoopback('192.0.2.1'));
    assert.ok(!isLoopback('128.0.0.1'));
  });

  it('maps a Service ClusterIP and port to its registered loopback backend', () => {
    const r = route('10.0.0.137', 443, [istiod], { 'istio-system/istiod:443': 40123 });
    assert.deepEqual(r, {
      service: 'istio-system/istiod',
      dial: { host: '127.0.0.1', port: 40123 },
    });
  });

  it('maps a Service DNS name the same way', () => {
    const backends = { 'istio-system/istiod:443': 40123 };
    for (const host of ['istiod.istio-system.svc', 'istiod.istio-system.svc.cluster.local']) {
      assert.deepEqual(route(host, 443, [istiod], backends), {
        service: 'istio-system/istiod',
        dial: { host: '127.0.0.1', port: 40123 },
      });
    }
  });

  it('refuses a Service without a backend, naming the Service and why', () => {
    const r = route('10.0.0.137', 443, [istiod], {});
    assert.ok('refuse' in r);
    assert.equal(r.service, 'istio-system/istiod');
    assert.match(r.refuse, /Service istio-system\/istiod port 443 has no local backend/);
    assert.match(r.refuse, /runs no pods/);
  });

  it('refuses a port the Service does not have, and addresses that are no Service', () => {
    const wrongPort = route('10.0.0.137', 8080, [istiod], { 'istio-system/istiod:443': 1 });
    assert.ok('refuse' in wrongPort);
    assert.match(wrongPort.refuse, /has no port 8080/);
    for (const host of ['10.0.0.99', '192.0.2.1', 'example.com', 'other.ns.svc']) {
      const r = route(host, 443, [istiod], {});
      assert.ok('refuse' in r, host);
      assert.match(r.refuse, /is not on this machine/);
    }
  });

  it('writes an egress selector configuration that sends cluster traffic to the socket', () => {
    const text = egressSelectorConfig('/tmp/a b/egress.sock');
    assert.match(text, /kind: EgressSelectorConfiguration/);
    assert.match(text, /- name: cluster\n\s+connection:\n\s+proxyProtocol: HTTPConnect/);
    assert.match(text, /udsName: "\/tmp\/a b\/egress.sock"/);
    assert.match(text, /- name: controlplane\n\s+connection:\n\s+proxyProtocol: HTTPConnect/);
    assert.equal(text.match(/udsName/g)?.length, 2);
    assert.doesNotMatch(text, /name: etcd/);
  });

  it('parses a ServiceList, single-stack and dual-stack', () => {
    const list = parseServiceList(
      JSON.stringify({
        items: [
          {
            metadata: { namespace: 'a', name: 'x' },
            spec: { clusterIP: '10.0.0.5', ports: [{ port: 80 }] },
          },
          {
            metadata: { namespace: 'b', name: 'y' },
            spec: { clusterIPs: ['10.0.0.6', 'fd00::6'], ports: [{ port: 443 }, { port: 15017 }] },
          },
          { metadata: { namespace: 'c', name: 'headless' }, spec: { clusterIP: 'None' } },
        ],
      }),
    );
    assert.deepEqual(list, [
      { namespace: 'a', name: 'x', clusterIPs: ['10.0.0.5'], ports: [80] },
      { namespace: 'b', name: 'y', clusterIPs: ['10.0.0.6', 'fd00::6'], ports: [443, 15017] },
      { namespace: 'c', name: 'headless', clusterIPs: ['None'], ports: [] },
    ]);
  });

  describe('the proxy on a Unix socket', () => {
    let dir: string;
    let proxy: import('node:http').Server;
    let backend: Server;
    let backendPort: number;
    const decisions: Record<string, unknown>[] = [];
    let lists = 0;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'egress-test-'));
      backend = createServer((s) => s.end('hello from the backend'));
      await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
      backendPort = (backend.address() as { port: number }).port;
      proxy = await startEgressProxy({
        dir,
        socket: join(dir, 'egress.sock'),
        listServices: () => {
          lists++;
          return Promise.resolve([istiod]);
        },
        log: (e) => decisions.push(e),
      });
    });
    after(async () => {
      proxy.close();
      backend.close();
      await rm(dir, { recursive: true, force: true });
    });

    /** Sends CONNECT target; resolves with the status line and what the tunnel carried. */
    const connectVia = (target: string) =>
      new Promise<{ status: number; message: string; body: string; ms: number }>((resolve) => {
        const t0 = Date.now();
        const req = request({
          socketPath: join(dir, 'egress.sock'),
          method: 'CONNECT',
          path: target,
        });
        req.on('connect', (res, socket, head) => {
          // Bytes that came with the response headers arrive in `head`.
          let body = head.toString();
          socket.on('data', (c: Buffer) => (body += c.toString()));
          socket.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              message: res.statusMessage ?? '',
              body,
              ms: Date.now() - t0,
            }),
          );
          socket.on('error', () => {});
        });
        req.on('error', (e) => resolve({ status: 0, message: e.message, body: '', ms: 0 }));
        req.end();
      });

    it('tunnels to a registered backend and refuses at once without one', async () => {
      const refused = await connectVia('10.0.0.137:443');
      assert.equal(refused.status, 503);
      assert.match(refused.message, /istio-system\/istiod port 443 has no local backend/);
      assert.ok(refused.ms < 1000, `refused after ${refused.ms} ms`);

      await registerLocalBackend(
        dir,
        { namespace: 'istio-system', name: 'istiod', port: 443 },
        backendPort,
      );
      assert.deepEqual(readBackends(dir), { 'istio-system/istiod:443': backendPort });
      const ok = await connectVia('10.0.0.137:443');
      assert.equal(ok.status, 200);
      assert.equal(ok.body, 'hello from the backend');

      await unregisterLocalBackend(dir, { namespace: 'istio-system', name: 'istiod', port: 443 });
      assert.equal((await connectVia('10.0.0.137:443')).status, 503);
      assert.ok(lists >= 1 && lists <= 6, `${lists} Service lists for 3 connections`);
      assert.deepEqual(
        decisions.map((d) => d.decision),
        ['refused', 'dialled', 'refused'],
      );
    });

    it('answers 502 when a registered backend is not listening', async () => {
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const port = (closed.address() as { port: number }).port;
      await new Promise<void>((r) => closed.close(() => r()));
      await registerLocalBackend(
        dir,
        { namespace: 'istio-system', name: 'istiod', port: 15012 },
        port,
      );
      const r = await connectVia('10.0.0.137:15012');
      assert.equal(r.status, 502);
      assert.match(
        r.message,
        new RegExp(`local backend 127.0.0.1:${port} of istio-system/istiod refused`),
      );
    });
  });
});
