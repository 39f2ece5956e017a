import { readFile } from 'node:fs/promises';
import { formatDiagnostic } from '../api/errors.js';
import type { Diagnostic } from '../api/types.js';
import { UserError } from './errors.js';

// The input side of the commands that take IstioOperator files (profile,
// manifest, validate, diff).

/** Reads `-f` files for the pipeline; `-` is standard input. */
export async function readInputFiles(
  paths: string[],
): Promise<{ name: string; content: string }[]> {
  const out: { name: string; content: string }[] = [];
  for (const p of paths) {
    if (p === '-') {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      out.push({ name: '<stdin>', content: Buffer.concat(chunks).toString('utf8') });
      continue;
    }
    try {
      out.push({ name: p, content: await readFile(p, 'utf8') });
    } catch (err) {
      throw new UserError(
        `cannot read ${p}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
  }
  return out;
}

/** Prints warnings to stderr, one per line. */
export function printWarnings(ds: Diagnostic[]): void {
  for (const d of ds) process.stderr.write(`${formatDiagnostic(d)}\n`);
}
