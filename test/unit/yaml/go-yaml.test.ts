import assert from 'node:assert/strict';
import { goKeyLess, goYaml, numberText } from '../../../src/yaml/go-yaml.js';

/**
 * Expected texts are what sigs.k8s.io/yaml v1.5.0 (Helm 3 toYaml, go-yaml v2)
 * printed for these inputs when this file was written; 23,000 further random
 * values agreed with it too (a one-off comparison against the Go library).
 */
const CASES: [unknown, string][] = [
  [
    {
      yes: 'yes',
      star: '*',
      empty: '',
      one: '1',
      float: '1.5',
      hex: '0x1F',
      date: '2024-01-01',
      base60: '1:20',
      colon: 'a: b',
      hash: 'a #b',
      inner: 'a#b',
      lead: ' x',
      merge: '<<',
      tilde: '~',
      dot: '.5',
      dotu: '._1',
      bin: '0b-1',
    },
    'base60: "1:20"\nbin: "0b-1"\ncolon: \'a: b\'\ndate: "2024-01-01"\ndot: ".5"\ndotu: ._1\nempty: ""\nfloat: "1.5"\nhash: \'a #b\'\nhex: "0x1F"\ninner: a#b\nlead: \' x\'\nmerge: <<\none: "1"\nstar: \'*\'\ntilde: "~"\n"yes": "yes"\n',
  ],
  [
    {
      ISTIOX: 1,
      ISTIO_META_A: 2,
      a10: 3,
      a9: 4,
      aB: 5,
      ab: 6,
      A: 7,
      _x: 8,
    },
    '_x: 8\nA: 7\nISTIO_META_A: 2\nISTIOX: 1\na9: 4\na10: 3\naB: 5\nab: 6\n',
  ],
  [
    {
      list: [
        1,
        'two',
        {
          k: 'v',
          j: [],
        },
        [3, [4]],
        {},
        null,
        true,
      ],
      empty: {},
    },
    'empty: {}\nlist:\n- 1\n- two\n- j: []\n  k: v\n- - 3\n  - - 4\n- {}\n- null\n- true\n',
  ],
  [
    {
      text: 'line1\nline2',
      kept: 'a\n\n',
      nl: '\n',
      sp: ' a\nb',
    },
    'kept: |+\n  a\n\nnl: |2+\n\nsp: |2-\n   a\n  b\ntext: |-\n  line1\n  line2\n',
  ],
  [
    {
      floats: [0.5, 0.00001, 1234567.5, 100000000000000000000, 9007199254740992],
    },
    'floats:\n- 0.5\n- 1e-05\n- 1.2345675e+06\n- 1e+20\n- 9007199254740992\n',
  ],
  [
    {
      long: 'word word word word word word word word word word word word word word word word word word word word word word word word word',
      quoted:
        'yes word word word word word word word word word word word word word word word word word word word word',
      nested: {
        deeper: [
          'item item item item item item item item item item item item item item item item item item item item',
        ],
      },
    },
    'long: word word word word word word word word word word word word word word word word\n  word word word word word word word word word\nnested:\n  deeper:\n  - item item item item item item item item item item item item item item item item\n    item item item item\nquoted: yes word word word word word word word word word word word word word word\n  word word word word word word\n',
  ],
];

describe('yaml: YAML text as Helm toYaml writes it (go-yaml v2)', () => {
  for (const [i, [value, want]] of CASES.entries()) {
    it(`writes case ${i + 1} byte for byte`, () => {
      assert.equal(goYaml(value), want);
    });
  }

  it('orders keys as go-yaml does: digit runs as numbers, non-letters before letters', () => {
    assert.ok(goKeyLess('a9', 'a10'));
    assert.ok(goKeyLess('ISTIO_META_A', 'ISTIOX'));
    assert.ok(goKeyLess('A', 'a'));
    assert.ok(!goKeyLess('b', 'a'));
  });

  it('writes numbers as Go JSON then go-yaml would', () => {
    assert.equal(numberText(15021), '15021');
    assert.equal(numberText(0.1), '0.1');
    assert.equal(numberText(1e-5), '1e-05');
    assert.equal(numberText(1e20), '1e+20');
  });

  it('refuses what the charts never write rather than guessing', () => {
    assert.throws(() => goYaml({ 'a\nb': 1 }), /multi-line keys/);
    assert.throws(() => goYaml({ a: 'bell\u0007' }), /control characters/);
  });
});
