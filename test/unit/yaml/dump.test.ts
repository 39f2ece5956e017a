import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import { PROFILE_NAMES } from '../../../src/profiles/index.js';
import { dumpYaml, writeYaml } from '../../../src/yaml/dump.js';
import { render } from '../render/helpers.js';

/** js-yaml's own output under the options dumpYaml promises to match. */
const reference = (v: unknown) => yaml.dump(v, { sortKeys: true, lineWidth: -1, noRefs: true });

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Pieces that stress js-yaml's style rules: indicators first and last, `: `
 * and ` #`, words and numbers a reader would not take for strings, leading
 * spaces and empty lines, trailing line breaks, and what this writer leaves
 * to js-yaml (tabs, non-ASCII, carriage returns).
 */
const PIECES = [
  'a',
  'line',
  ' ',
  '  x',
  '\n',
  '\n\n',
  '#',
  ':',
  ': ',
  ' #',
  '- ',
  '-',
  '?',
  '|',
  '>',
  '*',
  '&',
  '!',
  '%',
  '@',
  '`',
  '[',
  '{}',
  ',',
  '"',
  "'",
  '~',
  '<<',
  '0',
  '12',
  '1.5',
  '0x1F',
  '.inf',
  '1e3',
  '2026-11-22',
  '1:30',
  'null',
  'true',
  'False',
  'yes',
  'off',
  'y',
  '{{ .Values }}',
  '\t',
  'é',
  '😀',
  '\r',
];

/** Strings of 0 to 3 pieces: short, so that whole-string rules (words, numbers) come up often. */
function randomString(next: () => number): string {
  let s = '';
  for (let n = Math.floor(next() * 4); n > 0; n--) s += PIECES[Math.floor(next() * PIECES.length)]!;
  return s;
}

const SCALARS = [0, 7, -3, 1.5, -0, 1e21, Infinity, NaN, true, false, null, undefined];

function randomValue(next: () => number, depth: number): unknown {
  const r = next();
  if (depth > 3 || r < 0.4) return randomString(next);
  if (r < 0.5) return SCALARS[Math.floor(next() * SCALARS.length)];
  if (r < 0.75) {
    return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
  }
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 4); i > 0; i--) {
    o[next() < 0.7 ? `k${Math.floor(next() * 10)}` : randomString(next)] = randomValue(
      next,
      depth + 1,
    );
  }
  return o;
}

describe('yaml: YAML text', () => {
  it("is js-yaml's own output for every profile's objects", () => {
    for (const profile of PROFILE_NAMES) {
      for (const o of render({ profile }).objects) {
        const name = `${profile}: ${o.kind}/${o.metadata.name}`;
        // Written by the fast writer, not handed back to js-yaml (that is the point of it)…
        const text = writeYaml(o);
        assert.ok(text !== undefined, `${name} was left to js-yaml`);
        // …and byte for byte what js-yaml writes.
        assert.equal(text, reference(o), name);
      }
    }
  });

  it("is js-yaml's own output for generated values with awkward strings", () => {
    const next = random(20261122);
    let own = 0;
    for (let i = 0; i < 5000; i++) {
      const v = next() < 0.5 ? randomValue(next, 0) : [randomValue(next, 1), randomValue(next, 1)];
      if (v === null || typeof v !== 'object') continue;
      assert.equal(dumpYaml(v), reference(v), JSON.stringify(v));
      if (writeYaml(v) !== undefined) own++;
    }
    // Both writers must be exercised, or the comparison proves little.
    assert.ok(own > 1000 && own < 4000, `${own} of 5000 values written without js-yaml`);
  });

  it('writes the scalars of rendered objects as js-yaml does', () => {
    const v = {
      plain: 'docker.io/istio',
      version: '1.27.0',
      cpu: '100m',
      number: '15012',
      word: 'true',
      old: 'on',
      json: '{"a":1}',
      quote: "it's",
      colon: 'a: b',
      empty: '',
      ints: [0, 15021],
      flags: [true, null],
      nested: [[], {}, [['x']], { a: { b: 'x\n  y\n' } }],
      block: ' lead\n\nz',
    };
    assert.equal(dumpYaml(v), reference(v));
    assert.equal(
      dumpYaml(v),
      [
        'block: |2-',
        '   lead',
        '',
        '  z',
        "colon: 'a: b'",
        'cpu: 100m',
        "empty: ''",
        'flags:',
        '  - true',
        '  - null',
        'ints:',
        '  - 0',
        '  - 15021',
        `json: '{"a":1}'`,
        'nested:',
        '  - []',
        '  - {}',
        '  - - - x',
        '  - a:',
        '      b: |',
        '        x',
        '          y',
        "number: '15012'",
        "old: 'on'",
        'plain: docker.io/istio',
        "quote: it's",
        'version: 1.27.0',
        "word: 'true'",
        '',
      ].join('\n'),
    );
  });
});
