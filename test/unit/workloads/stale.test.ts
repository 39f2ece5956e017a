import assert from 'node:assert/strict';
import { workloadOf } from '../../../src/workloads/owner.js';
import { currentProxy, imageVersion } from '../../../src/workloads/proxy.js';
import { wantedRevision } from '../../../src/workloads/selection.js';
import { staleWorkloads } from '../../../src/workloads/stale.js';
import type { InjectorView, NamespaceView, PodView } from '../../../src/workloads/types.js';

const HUB = 'docker.io/istio/proxyv2';

/** A pod of Deployment `deploy` (through ReplicaSet `<deploy>-abc12`), injected by `rev` at `version` unless `rev` is ''. */
function pod(
  namespace: string,
  name: string,
  opts: {
    deploy?: string;
    rev?: string;
    version?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    owner?: { kind: string; name: string };
    native?: boolean;
  } = {},
): PodView {
  const labels: Record<string, string> = { ...opts.labels };
  const annotations: Record<string, string> = { ...opts.annotations };
  const containers = [{ name: 'app', image: 'nginx:1.27' }];
  const initContainers: PodView['initContainers'] = [];
  if (opts.rev) {
    labels['istio.io/rev'] ??= opts.rev;
    annotations['sidecar.istio.io/status'] = JSON.stringify({
      initContainers: ['istio-init'],
      containers: ['istio-proxy'],
      revision: opts.rev,
    });
    (opts.native ? initContainers : containers).push({
      name: 'istio-proxy',
      image: `${HUB}:${opts.version ?? '1.27.0'}`,
    });
  }
  const ownerReferences = [];
  if (opts.deploy) {
    labels['pod-template-hash'] = 'abc12';
    ownerReferences.push({ kind: 'ReplicaSet', name: `${opts.deploy}-abc12`, controller: true });
  } else if (opts.owner) {
    ownerReferences.push({ ...opts.owner, controller: true });
  }
  return { namespace, name, labels, annotations, ownerReferences, containers, initContainers };
}

const ns = (name: string, labels: Record<string, string> = {}): NamespaceView => ({ name, labels });

const injectors = (revisions: string[], tags: Record<string, string> = {}): InjectorView => ({
  revisions: new Set(revisions),
  tags: new Map(Object.entries(tags)),
});

describe('workloads: which revision a pod wants (the injector selectors)', () => {
  const inj = injectors(['default', '1-27', '1-28'], { prod: '1-28', default: '1-27' });
  const cases: [
    string,
    NamespaceView,
    Record<string, string>,
    Record<string, string>,
    string | undefined,
    string?,
  ][] = [
    [
      'istio-injection=enabled → the default tag',
      ns('a', { 'istio-injection': 'enabled' }),
      {},
      {},
      '1-27',
    ],
    [
      'istio-injection wins over the namespace rev label',
      ns('a', { 'istio-injection': 'enabled', 'istio.io/rev': '1-28' }),
      {},
      {},
      '1-27',
    ],
    [
      'istio-injection=disabled → none',
      ns('a', { 'istio-injection': 'disabled', 'istio.io/rev': '1-28' }),
      {},
      {},
      undefined,
      'not-selected',
    ],
    [
      "namespace istio.io/rev=<tag> → the tag's revision",
      ns('a', { 'istio.io/rev': 'prod' }),
      {},
      {},
      '1-28',
    ],
    ['namespace istio.io/rev=<revision>', ns('a', { 'istio.io/rev': '1-27' }), {}, {}, '1-27'],
    [
      'namespace label wins over the pod rev label',
      ns('a', { 'istio.io/rev': '1-27' }),
      { 'istio.io/rev': 'prod' },
      {},
      '1-27',
    ],
    [
      'pod istio.io/rev in an unlabelled namespace',
      ns('a'),
      { 'istio.io/rev': 'prod' },
      {},
      '1-28',
    ],
    [
      'pod sidecar.istio.io/inject=true → default',
      ns('a'),
      { 'sidecar.istio.io/inject': 'true' },
      {},
      '1-27',
    ],
    ['unlabelled namespace and pod → none', ns('a'), {}, {}, undefined, 'not-selected'],
    [
      'opt-out label',
      ns('a', { 'istio.io/rev': 'prod' }),
      { 'sidecar.istio.io/inject': 'false' },
      {},
      undefined,
      'opt-out',
    ],
    [
      'opt-out annotation',
      ns('a', { 'istio-injection': 'enabled' }),
      {},
      { 'sidecar.istio.io/inject': 'false' },
      undefined,
      'opt-out',
    ],
    [
      'a tag no injector answers',
      ns('a', { 'istio.io/rev': 'gone' }),
      {},
      {},
      undefined,
      'no-injector',
    ],
  ];
  for (const [name, namespace, labels, annotations, want, why] of cases) {
    it(name, () => {
      const got = wantedRevision(namespace, { labels, annotations }, inj);
      assert.equal(got.revision, want);
      if (why) assert.equal(got.revision === undefined && got.why, why);
    });
  }

  it('without a default tag, istio-injection=enabled goes to the revision-less install', () => {
    const got = wantedRevision(
      ns('a', { 'istio-injection': 'enabled' }),
      { labels: {}, annotations: {} },
      injectors(['default', '1-28']),
    );
    assert.equal(got.revision, 'default');
  });
});

describe('workloads: the proxy a pod carries and its workload', () => {
  it('reads revision from the status annotation and version from the image tag without variant', () => {
    const p = pod('a', 'p', { rev: '1-27', version: '1.27.3-distroless' });
    assert.deepEqual(currentProxy(p), {
      revision: '1-27',
      version: '1.27.3',
      image: `${HUB}:1.27.3-distroless`,
    });
  });

  it('finds a native sidecar among the init containers', () => {
    assert.equal(
      currentProxy(pod('a', 'p', { rev: '1-28', version: '1.28.1', native: true }))?.version,
      '1.28.1',
    );
  });

  it('falls back to the istio.io/rev label when the status annotation is unreadable', () => {
    const p = pod('a', 'p', { rev: 'x' });
    p.annotations['sidecar.istio.io/status'] = '{not json';
    p.labels['istio.io/rev'] = '1-26';
    assert.equal(currentProxy(p)?.revision, '1-26');
  });

  it('an uninjected pod carries no proxy', () => {
    assert.equal(currentProxy(pod('a', 'p')), undefined);
  });

  it('image versions: tag, registry port, digest', () => {
    assert.equal(imageVersion('localhost:5000/istio/proxyv2:1.27.0-debug'), '1.27.0');
    assert.equal(imageVersion('localhost:5000/istio/proxyv2'), '');
    assert.equal(imageVersion('istio/proxyv2:1.27.0@sha256:abc'), '1.27.0');
  });

  it('groups by Deployment through the ReplicaSet, by StatefulSet/DaemonSet directly, bare pods as Pod', () => {
    assert.deepEqual(workloadOf(pod('a', 'web-abc12-x', { deploy: 'web' })), {
      namespace: 'a',
      kind: 'Deployment',
      name: 'web',
    });
    assert.deepEqual(workloadOf(pod('a', 'db-0', { owner: { kind: 'StatefulSet', name: 'db' } })), {
      namespace: 'a',
      kind: 'StatefulSet',
      name: 'db',
    });
    assert.deepEqual(workloadOf(pod('a', 'ds-x', { owner: { kind: 'DaemonSet', name: 'ds' } })), {
      namespace: 'a',
      kind: 'DaemonSet',
      name: 'ds',
    });
    assert.deepEqual(workloadOf(pod('a', 'solo')), { namespace: 'a', kind: 'Pod', name: 'solo' });
    // A ReplicaSet of its own (its name does not end in the pod's hash) stays a ReplicaSet.
    const rs = pod('a', 'rs-x', { owner: { kind: 'ReplicaSet', name: 'rs' } });
    rs.labels['pod-template-hash'] = 'abc12';
    assert.deepEqual(workloadOf(rs), { namespace: 'a', kind: 'ReplicaSet', name: 'rs' });
  });
});

describe('workloads: stale workloads per revision', () => {
  it('in-place upgrade: same revision, new version — only the pods on the old version are stale', () => {
    const [r] = staleWorkloads({
      namespaces: [ns('shop', { 'istio-injection': 'enabled' })],
      pods: [
        pod('shop', 'web-1', { deploy: 'web', rev: 'default', version: '1.27.0' }),
        pod('shop', 'web-2', { deploy: 'web', rev: 'default', version: '1.27.1' }),
        pod('shop', 'api-1', { deploy: 'api', rev: 'default', version: '1.27.1' }),
        pod('shop', 'db-0', {
          owner: { kind: 'StatefulSet', name: 'db' },
          rev: 'default',
          version: '1.27.0',
        }),
      ],
      injectors: injectors(['default']),
      wanted: new Map([['default', '1.27.1']]),
    });
    assert.equal(r!.pods, 4);
    assert.equal(r!.stalePods, 2);
    assert.deepEqual(
      r!.workloads.map((w) => [w.kind, w.name, w.pods, w.stalePods, w.current]),
      [
        ['Deployment', 'web', 2, 1, [{ revision: 'default', version: '1.27.0' }]],
        ['StatefulSet', 'db', 1, 1, [{ revision: 'default', version: '1.27.0' }]],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
  });

  it('canary: the tag moved — pods of the old revision are stale for the new one, nothing for the old', () => {
    const input = {
      namespaces: [
        ns('shop', { 'istio.io/rev': 'prod' }),
        ns('pinned', { 'istio.io/rev': '1-27' }),
      ],
      pods: [
        pod('shop', 'web-1', { deploy: 'web', rev: '1-27', version: '1.27.0' }),
        pod('shop', 'new-1', { deploy: 'new', rev: '1-28', version: '1.28.0' }),
        pod('pinned', 'old-1', { deploy: 'old', rev: '1-27', version: '1.27.0' }),
      ],
      injectors: injectors(['1-27', '1-28'], { prod: '1-28' }),
      wanted: new Map([
        ['1-27', '1.27.0'],
        ['1-28', '1.28.0'],
      ]),
    };
    const [r27, r28] = staleWorkloads(input);
    assert.deepEqual(
      [r27!.revision, r27!.pods, r27!.stalePods, r27!.workloads],
      ['1-27', 1, 0, []],
    );
    assert.deepEqual([r28!.revision, r28!.pods, r28!.stalePods], ['1-28', 2, 1]);
    assert.deepEqual(r28!.workloads, [
      {
        namespace: 'shop',
        kind: 'Deployment',
        name: 'web',
        pods: 1,
        stalePods: 1,
        current: [{ revision: '1-27', version: '1.27.0' }],
        wanted: { revision: '1-28', version: '1.28.0' },
      },
    ]);
    // Before the tag moves, shop belongs to 1-27: web is current and the 1-28 pod is the stale one.
    const before = staleWorkloads({
      ...input,
      injectors: injectors(['1-27', '1-28'], { prod: '1-27' }),
    });
    assert.deepEqual(
      before.map((r) => [r.pods, r.stalePods]),
      [
        [3, 1],
        [0, 0],
      ],
    );
    assert.deepEqual(
      before[0]!.workloads.map((w) => w.name),
      ['new'],
    );
  });

  it('canary: the namespace label changed from one revision to the other', () => {
    const [r] = staleWorkloads({
      namespaces: [ns('shop', { 'istio.io/rev': '1-28' })],
      pods: [pod('shop', 'web-1', { deploy: 'web', rev: '1-27', version: '1.27.0' })],
      injectors: injectors(['1-27', '1-28']),
      wanted: new Map([['1-28', '1.28.0']]),
    });
    assert.deepEqual(
      r!.workloads.map((w) => [w.name, w.current[0]!.revision]),
      [['web', '1-27']],
    );
  });

  it("opt-out pods, not-injected namespaces and finished pods are never stale; an unlabelled-then-labelled namespace's uninjected pods are", () => {
    const [r] = staleWorkloads({
      namespaces: [
        ns('shop', { 'istio-injection': 'enabled' }),
        ns('plain'),
        ns('off', { 'istio-injection': 'disabled' }),
      ],
      pods: [
        pod('shop', 'batch-1', { deploy: 'batch', labels: { 'sidecar.istio.io/inject': 'false' } }),
        pod('shop', 'job-x', {
          owner: { kind: 'Job', name: 'job' },
          rev: 'default',
          version: '1.26.0',
        }),
        pod('shop', 'late-1', { deploy: 'late' }),
        pod('plain', 'web-1', { deploy: 'web' }),
        pod('off', 'web-1', { deploy: 'web', rev: 'default', version: '1.26.0' }),
        pod('shop', 'solo', { rev: 'default', version: '1.26.0' }),
      ].map((p) => (p.name === 'job-x' ? { ...p, phase: 'Succeeded' } : p)),
      injectors: injectors(['default']),
      wanted: new Map([['default', '1.27.0']]),
    });
    assert.equal(r!.pods, 2);
    assert.deepEqual(
      r!.workloads.map((w) => [w.kind, w.name, w.current]),
      [
        ['Deployment', 'late', [{ revision: '', version: '' }]],
        ['Pod', 'solo', [{ revision: 'default', version: '1.26.0' }]],
      ],
    );
  });

  it('a revision with no wanted version judges the revision only', () => {
    const [r] = staleWorkloads({
      namespaces: [ns('shop', { 'istio-injection': 'enabled' })],
      pods: [pod('shop', 'web-1', { deploy: 'web', rev: 'default', version: '1.20.0' })],
      injectors: injectors(['default']),
      wanted: new Map([['default', '']]),
    });
    assert.equal(r!.stalePods, 0);
  });
});
