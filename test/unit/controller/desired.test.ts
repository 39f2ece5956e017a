import assert from 'node:assert/strict';
import type { IstioOperator } from '../../../src/api/types.js';
import { render } from '../../../src/controller/desired.js';

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
