import { spawn } from 'node:child_process';
import { ensureBinaries, ISTIO_BINARY_LINES, istioctlFor } from '../../src/cluster/binaries.js';

/** How long a cold build of istioctl may take on a 2-core CI runner. */
export const ISTIOCTL_BUILD_TIMEOUT_MS = 40 * 60_000;

/**
 * The Istio lines compared live, each with its own istioctl built from the
 * Go module proxy (1.27, 1.30, 1.31); the other lines through committed
 * goldens (goldens.test.ts).
 */
export const LIVE_LINES: readonly string[] = ISTIO_BINARY_LINES;

/**
 * The istioctl of an Istio line (`1.27` by default; the oracle), built from
 * its pinned Go module on first use and cached. Fails loudly when it cannot
 * be had: a conformance run without the oracle proves nothing.
 */
export async function istioctl(minor = '1.27'): Promise<string> {
  const name = istioctlFor(minor);
  if (!name) throw new Error(`no module-built istioctl for Istio ${minor} (tools/ has none)`);
  const bins = await ensureBinaries([name], {
    onProgress: (line) => process.stderr.write(`  [${name}] ${line}\n`),
  });
  return bins[name];
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
    // 'close', not 'exit': the process may exit before its pipes are drained,
    // and under load the last objects of a manifest would be cut off.
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
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
