import assert from 'node:assert/strict';
import {
  chooseRelease,
  compatibilityErrors,
  minorOfTag,
  newerValuesErrors,
} from '../../../src/api/release.js';
import { generateIstioOperator } from '../../../src/profiles/index.js';
import { IstioOperatorValidationError } from '../../../src/api/errors.js';
import { DEFAULT_RELEASE, releaseOfMinor } from '../../../src/releases/catalog.js';
import { ISTIO_VERSION_ANNOTATION } from '../../../src/api/vocabulary.js';

const pinned = (v: string) => ({ annotations: { [ISTIO_VERSION_ANNOTATION]: v } });

describe('api/release: which Istio release an IstioOperator installs', () => {
  const chosen: [string, { metadata?: unknown; spec?: unknown }, string][] = [
    ['nothing set: the default release', { spec: {} }, DEFAULT_RELEASE.minor],
    ['spec.tag', { spec: { tag: '1.29.6' } }, '1.29'],
    ['a 1.31 patch', { spec: { tag: '1.31.4' } }, '1.31'],
    ['a suffixed tag counts by its number', { spec: { tag: '1.30.3-distroless' } }, '1.30'],
    ['values.global.tag', { spec: { values: { global: { tag: '1.28.10' } } } }, '1.28'],
    ['an older patch of a known minor', { spec: { tag: '1.28.0' } }, '1.28'],
    ['a component tag alone', { spec: { components: { pilot: { tag: '1.29.1' } } } }, '1.29'],
    [
      'the annotation for a tag that names no version',
      { metadata: pinned('1.29'), spec: { tag: 'latest' } },
      '1.29',
    ],
    [
      'the annotation with a patch',
      { metadata: pinned('1.30.3'), spec: { tag: 'sha256-abc' } },
      '1.30',
    ],
    ['annotation and tag agreeing', { metadata: pinned('1.28'), spec: { tag: '1.28.4' } }, '1.28'],
    [
      'a component running a custom build of the chosen release',
      { spec: { tag: '1.30.3', components: { pilot: { tag: 'my-build' } } } },
      '1.30',
    ],
  ];
  for (const [what, iop, minor] of chosen) {
    it(`chooses from ${what} (${minor})`, () => {
      const c = chooseRelease(iop);
      assert.equal(c.diagnostics, undefined, JSON.stringify(c.diagnostics));
      assert.equal(c.release?.minor, minor);
    });
  }

  const refused: [string, { metadata?: unknown; spec?: unknown }, string, RegExp][] = [
    [
      'an unsupported minor, listing the supported ones',
      { spec: { tag: '1.26.3' } },
      'spec.tag',
      /1\.27, 1\.28, 1\.29, 1\.30, 1\.31/,
    ],
    [
      'a released minor newer than the operator, naming the newest line carried',
      { spec: { values: { global: { tag: '1.32.0' } } } },
      'spec.values.global.tag',
      /Istio 1\.32 is newer than this operator: the newest line it installs is 1\.31 \(1\.31\.4\).*spec\.tag: 1\.31\.4/,
    ],
    [
      'a future minor nobody released',
      { spec: { values: { global: { tag: '1.40.0' } } } },
      'spec.values.global.tag',
      /not a version this operator installs.*1\.27, 1\.28, 1\.29, 1\.30, 1\.31/,
    ],
    [
      'a tag naming no version without the annotation',
      { spec: { tag: 'latest' } },
      'spec.tag',
      new RegExp(ISTIO_VERSION_ANNOTATION),
    ],
    [
      'an annotation disagreeing with the tag',
      { metadata: pinned('1.29'), spec: { tag: '1.30.3' } },
      'spec.tag',
      /names Istio 1\.30/,
    ],
    [
      'an annotation that is no version',
      { metadata: pinned('newest'), spec: {} },
      `metadata.annotations["${ISTIO_VERSION_ANNOTATION}"]`,
      /major\.minor/,
    ],
    [
      'an annotation naming an unsupported minor',
      { metadata: pinned('1.99'), spec: { tag: 'x' } },
      `metadata.annotations["${ISTIO_VERSION_ANNOTATION}"]`,
      /not a version this operator installs/,
    ],
  ];
  for (const [what, iop, path, message] of refused) {
    it(`refuses ${what}, naming ${path}`, () => {
      const c = chooseRelease(iop);
      assert.equal(c.release, undefined);
      const d = c.diagnostics![0]!;
      assert.equal(d.path, path);
      assert.match(`${d.message} ${d.fix ?? ''}`, message);
    });
  }

  it("takes a component tag of another line as the user's image choice: the line stays spec.tag's, with a warning naming the field", () => {
    const c = chooseRelease({
      spec: {
        tag: '1.30.3',
        components: {
          cni: { tag: 'v3.3.3' },
          ingressGateways: [{ name: 'a' }, { name: 'b', tag: '1.29.6' }],
        },
      },
    });
    assert.equal(c.release?.minor, '1.30');
    assert.deepEqual(
      c.warnings?.map((w) => `${w.severity} ${w.path}`),
      ['warning spec.components.cni.tag', 'warning spec.components.ingressGateways[1].tag'],
    );
    assert.match(
      c.warnings![1]!.message,
      /names Istio 1\.29, but spec\.tag \(1\.30\.3\) names 1\.30/,
    );
  });

  it('refuses component tags of two lines when no spec tag or annotation chooses', () => {
    const c = chooseRelease({
      spec: { components: { pilot: { tag: '1.30.3' }, cni: { tag: '1.29.6' } } },
    });
    assert.equal(c.release, undefined);
    assert.equal(c.diagnostics?.[0]?.path, 'spec.components.cni.tag');
  });

  it('reads the minor a tag starts with', () => {
    assert.equal(minorOfTag('1.30.3-distroless'), '1.30');
    assert.equal(minorOfTag('v1.29.0'), '1.29');
    assert.equal(minorOfTag('latest'), undefined);
  });

  it('accepts values fields of newer releases only there, naming the release that has them', () => {
    const spec = {
      values: { global: { networkPolicy: { enabled: true } }, pilot: { taint: { name: 'x' } } },
    };
    assert.deepEqual(
      newerValuesErrors(spec, releaseOfMinor('1.27')!).map((d) => [d.path, d.message]),
      [
        [
          'spec.values.global.networkPolicy',
          'exists from Istio 1.28 on; this IstioOperator installs 1.27',
        ],
        [
          'spec.values.pilot.taint.name',
          'exists from Istio 1.30 on; this IstioOperator installs 1.27',
        ],
      ],
    );
    assert.deepEqual(
      newerValuesErrors(spec, releaseOfMinor('1.29')!).map((d) => d.path),
      ['spec.values.pilot.taint.name'],
    );
    assert.deepEqual(newerValuesErrors(spec, releaseOfMinor('1.30')!), []);
    const scoped = { values: { global: { resourceScope: 'cluster' } } };
    assert.match(
      newerValuesErrors(scoped, releaseOfMinor('1.30')!)[0]!.message,
      /resourceScope all/,
    );
    assert.deepEqual(
      newerValuesErrors({ values: { global: { resourceScope: 'all' } } }, releaseOfMinor('1.30')!),
      [],
    );
  });

  it('validates an IstioOperator against the values of the release it installs', () => {
    const file = (tag: string) => ({
      name: 'iop.yaml',
      content: `apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  tag: ${tag}\n  values:\n    global:\n      networkPolicy:\n        enabled: true\n`,
    });
    assert.throws(
      () => generateIstioOperator({ files: [file('1.27.9')], set: [] }),
      (e: unknown) =>
        e instanceof IstioOperatorValidationError &&
        /spec\.values\.global\.networkPolicy/.test(e.message),
    );
    const { iop, release } = generateIstioOperator({ files: [file('1.28.10')], set: [] });
    assert.equal(release.minor, '1.28');
    assert.equal(iop.spec.tag, '1.28.10');
  });

  it('accepts the compatibility versions of the line it installs', () => {
    const spec = (v: string) => ({ compatibilityVersion: v });
    assert.deepEqual(compatibilityErrors(spec('1.24'), releaseOfMinor('1.27')!), []);
    assert.match(
      compatibilityErrors(spec('1.24'), releaseOfMinor('1.30')!)[0]!.fix ?? '',
      /1\.25, 1\.26, 1\.27, 1\.28, 1\.29/,
    );
    assert.deepEqual(compatibilityErrors(spec('1.29'), releaseOfMinor('1.30')!), []);
    assert.equal(compatibilityErrors(spec('1.28'), releaseOfMinor('1.28')!).length, 1);
  });
});
