import type { KubernetesObject } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { removeStrayPortsPatch, strayServicePorts } from '../../../src/apply/service-ports.js';

type Port = { name?: string; port: number; protocol?: string; nodePort?: number };

const svc = (ports: Port[]): KubernetesObject =>
  ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'istiod', namespace: 'istio-system' },
    spec: { ports },
  }) as KubernetesObject;

const ISTIOD: Port[] = [
  { name: 'grpc-xds', port: 15010 },
  { name: 'https-dns', port: 15012 },
  { name: 'https-webhook', port: 443 },
  { name: 'http-monitoring', port: 15014 },
];
/** As the API server returns them: protocol defaulted. */
const live = (ports: Port[]) => svc(ports.map((p) => ({ protocol: 'TCP', ...p })));

describe('Service ports that keep server-side apply from repairing a Service', () => {
  const cases: { name: string; live: Port[]; stray: [number, number][] }[] = [
    { name: 'none when the live ports are the desired ones', live: ISTIOD, stray: [] },
    {
      name: 'a port changed by hand (15010 → 15999) keeps the name grpc-xds',
      live: [{ name: 'grpc-xds', port: 15999 }, ...ISTIOD.slice(1)],
      stray: [[0, 15999]],
    },
    {
      name: 'a second port changed (15012 → 15013)',
      live: [ISTIOD[0]!, { name: 'https-dns', port: 15013 }, ...ISTIOD.slice(2)],
      stray: [[1, 15013]],
    },
    {
      name: 'a changed protocol is another element too',
      live: [{ name: 'grpc-xds', port: 15010, protocol: 'UDP' }, ...ISTIOD.slice(1)],
      stray: [[0, 15010]],
    },
    {
      name: "never a user's own port with a name of its own",
      live: [...ISTIOD, { name: 'http-extra', port: 8080 }],
      stray: [],
    },
    {
      name: 'not a port that is only missing (apply adds it back)',
      live: ISTIOD.slice(1),
      stray: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = strayServicePorts(svc(ISTIOD), live(c.live));
      assert.deepEqual(
        got.map((s) => [s.index, s.port]),
        c.stray,
      );
    });
  }

  it('a moved port that kept a desired nodePort is stray even under another name', () => {
    const desired = svc([{ name: 'http2', port: 80, nodePort: 30080 }]);
    const got = strayServicePorts(desired, live([{ name: 'web', port: 8080, nodePort: 30080 }]));
    assert.deepEqual(
      got.map((s) => [s.index, s.port, s.insteadOf]),
      [[0, 8080, 80]],
    );
  });

  it('only Services, and only when one exists', () => {
    assert.deepEqual(strayServicePorts(svc(ISTIOD), undefined), []);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } };
    assert.deepEqual(strayServicePorts(cm, cm), []);
  });

  it('removes the last index first, each removal guarded by tests of port and name', () => {
    const strays = strayServicePorts(
      svc(ISTIOD),
      live([
        { name: 'grpc-xds', port: 15999 },
        { name: 'https-dns', port: 15013 },
        ...ISTIOD.slice(2),
      ]),
    );
    assert.deepEqual(removeStrayPortsPatch(strays), [
      { op: 'test', path: '/spec/ports/1/port', value: 15013 },
      { op: 'test', path: '/spec/ports/1/name', value: 'https-dns' },
      { op: 'remove', path: '/spec/ports/1' },
      { op: 'test', path: '/spec/ports/0/port', value: 15999 },
      { op: 'test', path: '/spec/ports/0/name', value: 'grpc-xds' },
      { op: 'remove', path: '/spec/ports/0' },
    ]);
  });
});
