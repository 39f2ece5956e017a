import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IstioOperatorValidationError } from '../../../src/api/errors.js';
import { getPath } from '../../../src/json/path.js';
import type { Diagnostic } from '../../../src/api/types.js';
import { generateIstioOperator } from '../../../src/profiles/index.js';
import { ROOT } from '../../support/cli.js';

/**
 * Fixture files carry their expectations in header comments:
 *   # expect-error: <field path> :: <message part>
 *   # expect-warning: <field path> :: <message part>
 *   # expect-value: <path under spec> = <JSON or undefined>
 *   # expect-no-warnings
 */
interface Expectations {
  errors: { path: string; message: string }[];
  warnings: { path: string; message: string }[];
  values: { path: string; value: unknown }[];
  noWarnings: boolean;
}

function expectations(content: string): Expectations {
  const e: Expectations = { errors: [], warnings: [], values: [], noWarnings: false };
  for (const line of content.split('\n')) {
    let m = /^# expect-(error|warning): (.+?) :: (.+)$/.exec(line);
    if (m) {
      (m[1] === 'error' ? e.errors : e.warnings).push({ path: m[2]!, message: m[3]! });
      continue;
    }
    m = /^# expect-value: (\S+) = (.+)$/.exec(line);
    if (m) {
      e.values.push({ path: m[1]!, value: m[2] === 'undefined' ? undefined : JSON.parse(m[2]!) });
      continue;
    }
    if (line.trim() === '# expect-no-warnings') e.noWarnings = true;
  }
  return e;
}

function fixtures(kind: 'invalid' | 'valid'): { name: string; content: string }[] {
  const dir = join(ROOT, 'test', 'fixtures', kind);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((name) => ({ name, content: readFileSync(join(dir, name), 'utf8') }));
}

function show(ds: Diagnostic[]): string {
  return ds.map((d) => `  ${d.severity} ${d.path}: ${d.message}`).join('\n');
}

function assertHas(ds: Diagnostic[], severity: string, want: { path: string; message: string }) {
  assert.ok(
    ds.some(
      (d) => d.severity === severity && d.path === want.path && d.message.includes(want.message),
    ),
    `expected ${severity} at ${want.path} containing "${want.message}"; got:\n${show(ds)}`,
  );
}

describe('invalid IstioOperator fixtures', () => {
  const all = fixtures('invalid');

  it('has at least 30 of them', () => {
    assert.ok(all.length >= 30, `only ${all.length} invalid fixtures`);
  });

  for (const f of all) {
    const e = expectations(f.content);
    it(`rejects ${f.name}: ${e.errors.map((x) => `${x.path}: ${x.message}`).join('; ')}`, () => {
      assert.ok(e.errors.length > 0, 'fixture declares no expect-error line');
      let thrown: unknown;
      try {
        generateIstioOperator({ files: [f], set: [] });
      } catch (err) {
        thrown = err;
      }
      assert.ok(thrown instanceof IstioOperatorValidationError, `not rejected: ${String(thrown)}`);
      for (const want of e.errors) {
        assertHas(thrown.diagnostics, 'error', want);
        assert.ok(thrown.message.includes(want.path), 'the error message names the path');
      }
    });
  }
});

describe('valid IstioOperator fixtures', () => {
  for (const f of fixtures('valid')) {
    const e = expectations(f.content);
    it(`accepts ${f.name}${e.warnings.length ? ` with ${e.warnings.length} warning(s)` : ''}`, () => {
      const { iop, warnings } = generateIstioOperator({ files: [f], set: [] });
      for (const want of e.warnings) assertHas(warnings, 'warning', want);
      if (e.noWarnings) assert.deepEqual(warnings, []);
      else assert.equal(warnings.length, e.warnings.length, show(warnings));
      for (const v of e.values) {
        assert.deepEqual(getPath(iop.spec, v.path.split('.')), v.value, `spec.${v.path}`);
      }
    });
  }
});
