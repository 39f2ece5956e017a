import { releaseOfMinor } from '../../../src/releases/catalog.js';
import assert from 'node:assert/strict';
import { injectionTemplates } from '../../../src/render/injection/templates.js';
import { strategicMerge } from '../../../src/render/strategic-merge.js';
import {
  clusterRbacName,
  istiodName,
  mutatingWebhookName,
  validatingWebhookName,
} from '../../../src/render/names.js';

describe('render: strategic merge', () => {
  const cases: [string, unknown, unknown, unknown][] = [
    ['merges maps', { a: 1, b: { c: 1 } }, { b: { d: 2 } }, { a: 1, b: { c: 1, d: 2 } }],
    ['deletes on null', { a: 1, b: 2 }, { b: null }, { a: 1 }],
    [
      'merges containers and env by name',
      { containers: [{ name: 'c', env: [{ name: 'A', value: '1' }] }] },
      {
        containers: [
          {
            name: 'c',
            env: [
              { name: 'A', value: '2' },
              { name: 'B', value: '3' },
            ],
          },
        ],
      },
      {
        containers: [
          {
            name: 'c',
            env: [
              { name: 'A', value: '2' },
              { name: 'B', value: '3' },
            ],
          },
        ],
      },
    ],
    ['replaces lists without a merge key', { args: ['a', 'b'] }, { args: ['c'] }, { args: ['c'] }],
    [
      'merges container ports by containerPort',
      { ports: [{ containerPort: 1, name: 'a' }] },
      { ports: [{ containerPort: 1, name: 'b' }, { containerPort: 2 }] },
      { ports: [{ containerPort: 1, name: 'b' }, { containerPort: 2 }] },
    ],
  ];
  for (const [name, target, patch, want] of cases) {
    it(name, () => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- table-driven plain JSON
      assert.deepEqual(strategicMerge(target as any, patch as any), want);
    });
  }
});

describe('render: revision naming', () => {
  const table: [string, string, string, string, string][] = [
    ['', 'istio-system', 'istiod', 'istio-sidecar-injector', 'istio-validator-istio-system'],
    [
      'canary',
      'istio-system',
      'istiod-canary',
      'istio-sidecar-injector-canary',
      'istio-validator-canary-istio-system',
    ],
    ['', 'mesh', 'istiod', 'istio-sidecar-injector-mesh', 'istio-validator-mesh'],
  ];
  for (const [rev, ns, istiod, mwc, vwc] of table) {
    it(`names objects for revision "${rev}" in ${ns}`, () => {
      assert.equal(istiodName(rev), istiod);
      assert.equal(mutatingWebhookName(rev, ns), mwc);
      assert.equal(validatingWebhookName(rev, ns), vwc);
      assert.equal(
        clusterRbacName('istiod-clusterrole', rev, ns),
        `istiod-clusterrole${rev ? '-' + rev : ''}-${ns}`,
      );
    });
  }
});

describe('render: injection templates', () => {
  const templates = injectionTemplates(releaseOfMinor('1.27')!);

  it('ships every template istiod 1.27 reads: the four pod templates, kube-gateway and waypoint', () => {
    assert.deepEqual(Object.keys(templates).sort(), [
      'gateway',
      'grpc-agent',
      'grpc-simple',
      'kube-gateway',
      'sidecar',
      'waypoint',
    ]);
  });

  for (const [name, text] of Object.entries(templates)) {
    it(`${name}: balances its actions and blocks`, () => {
      const actions = text.match(/\{\{.*?\}\}/g) ?? [];
      assert.ok(actions.length >= 5, `${name} has template actions`);
      assert.doesNotMatch(text.replace(/\{\{.*?\}\}/g, ''), /\{\{/, 'every {{ closes on its line');
      const opens = (text.match(/\{\{-?\s*(if|range|with|define)\b/g) ?? []).length;
      const ends = (text.match(/\{\{-?\s*end\b/g) ?? []).length;
      assert.equal(opens, ends, 'every if/range/with/define has its end');
      assert.doesNotMatch(text, /\t/, 'YAML output must not contain tabs');
    });
  }

  it('redirects outbound to 15001 and inbound to 15006 and excludes the proxy UID', () => {
    const s = templates.sidecar!;
    assert.match(s, /ProxyListenPort \| default 15001/);
    assert.match(s, /ProxyInboundListenPort \| default 15006/);
    assert.match(s, /- "-u"\n\s+- \{\{ \$proxyUID \| quote \}\}/);
    assert.match(s, /containerPort: 15090\n\s+protocol: TCP\n\s+name: http-envoy-prom/);
  });
});
