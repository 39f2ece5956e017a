import type { KubernetesObject } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import type { IstioOperator } from '../../../src/api/types.js';
import { LABELS } from '../../../src/api/vocabulary.js';
import { identity, type LiveState } from '../../../src/apply/live.js';
import { handOvers, render } from '../../../src/controller/desired.js';

const iop = (spec: object, rv = '1') =>
  ({
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name: 'demo', namespace: 'istio-system', resourceVersion: rv },
    spec,
  }) as IstioOperator;

describe('the rendered manifest, kept per input', () => {
  it('renders a spec once, whichever cached copy of the IstioOperator asks', () => {
    const first = render(iop({ profile: 'minimal' }, '1'));
    assert.equal(render(iop({ profile: 'minimal' }, '2')), first);
  });

  it('renders anew when the spec, the name or the default tag claim differs', () => {
    const first = render(iop({ profile: 'minimal' }));
    assert.notEqual(render(iop({ profile: 'minimal', tag: '1.30.8' })), first);
    const other = iop({ profile: 'minimal' });
    other.metadata.name = 'other';
    assert.notEqual(render(other), first);
    const claimer = iop({ profile: 'minimal', values: { revisionTags: ['default'] } });
    claimer.metadata.name = 'claimer';
    const claimed = render(iop({ profile: 'minimal' }), [claimer]);
    assert.notEqual(claimed, first);
    assert.ok(
      claimed.objects.length < first.objects.length,
      'without the default tag it renders less',
    );
  });
});

describe('hand-overs, decided before the apply (desired.ts handOvers)', () => {
  const named = (name: string, spec: object) => {
    const o = iop(spec);
    o.metadata.name = name;
    return o;
  };
  const mine = named('mine', { profile: 'minimal' });
  const manifest = render(mine);
  const istiod = manifest.objects.find((o) => o.kind === 'Deployment')!;
  const crd = manifest.objects.find((o) => o.kind === 'CustomResourceDefinition')!;
  /** Live state in which `theirs` owns the istiod Deployment, and `crdOwner` a CRD this render also renders. */
  const liveOwnedBy = (theirs: string, crdOwner = theirs): LiveState => ({
    get: (_, kind, ns, name) =>
      [istiod, crd]
        .filter((o) => o.kind === kind && o.metadata.namespace === ns && o.metadata.name === name)
        .map((o) => ({
          ...o,
          metadata: {
            ...o.metadata,
            labels: {
              ...o.metadata.labels,
              [LABELS.owner]: o === crd ? crdOwner : theirs,
              [LABELS.ownerNamespace]: 'istio-system',
            },
          },
        }))[0] as KubernetesObject | undefined,
    ownedBy: () => [],
    ownerExists: () => Promise.resolve(true),
  });
  const owner = { name: 'mine', namespace: 'istio-system' };

  it('lists what another owner of a live object renders, skipping the shared components', () => {
    const other = named('other', { profile: 'minimal', revision: 'canary' });
    const base = named('base', { profile: 'minimal' });
    const live = liveOwnedBy('other', 'base');
    const h = handOvers([mine, other, base], manifest, live, owner, ['Base']);
    assert.deepEqual([...h.keys()], ['istio-system/other']);
    const theirs = h.get('istio-system/other')!;
    assert.equal(
      theirs.has(identity(istiod as KubernetesObject)),
      false,
      'a canary renders istiod-canary',
    );
    assert.ok([...theirs].some((id) => id.includes('istiod-canary')));
  });

  it('asks the owner of a shared component too when no component is shared', () => {
    const base = named('base', { profile: 'minimal' });
    const h = handOvers([mine, base], manifest, liveOwnedBy('mine', 'base'), owner, []);
    assert.deepEqual([...h.keys()], ['istio-system/base']);
  });

  it('leaves out an owner the caches do not hold: it keeps what it owns', () => {
    assert.equal(handOvers([mine], manifest, liveOwnedBy('gone'), owner, ['Base']).size, 0);
  });

  it('asks nothing when this IstioOperator owns every live object itself', () => {
    assert.equal(handOvers([mine], manifest, liveOwnedBy('mine'), owner, ['Base']).size, 0);
  });
});
