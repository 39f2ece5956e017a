import { spawn } from 'node:child_process';
import { ensureBinaries } from '../../src/cluster/binaries.js';

/** How long a cold build of istioctl may take on a 2-core CI runner. */
export const ISTIOCTL_BUILD_TIMEOUT_MS = 40 * 60_000;

/**
 * The pinned istioctl 1.27 (the oracle), built from the Go module proxy on
 * first use and cached. Fails loudly when it cannot be had: a conformance
 * run without the oracle proves nothing.
 */
export async function istioctl(): Promise<string> {
  const bins = await ensureBinaries(['istioctl'], {
    onProgress: (line) => process.stderr.write(`  [istioctl] ${line}\n`),
  });
  return bins.istioctl;
}

/** Result of one process run. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a binary to completion, collecting its output; `env` adds to the environment. */
export async function run(
  bin: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  return await new Promise((resolve, reject) => {
    const p = spawn(bin, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs `fn` over `items` with at most `limit` at a time, keeping the order of results. */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
