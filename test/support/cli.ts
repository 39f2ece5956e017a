import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Result of running the CLI as a separate process. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `istio-operator ARGS` from the TypeScript sources (through tsx), the
 * way a user runs the command, and collects its output.
 */
export async function runCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliResult> {
  return await new Promise((resolve, reject) => {
    const p = spawnCli(args, { env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    p.on('error', reject);
    // 'close', not 'exit': output still in the pipes when the process exits would be lost.
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/**
 * Starts `istio-operator ARGS` from the TypeScript sources (through tsx) as a
 * child process in the repository root, stdout and stderr piped unless
 * `stdio` says otherwise.
 */
export function spawnCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; stdio?: 'ignore' } = {},
): ChildProcess & { stdout: Readable; stderr: Readable } {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', opts.stdio ?? 'pipe', opts.stdio ?? 'pipe'],
    ...(opts.env ? { env: opts.env } : {}),
  }) as ChildProcess & { stdout: Readable; stderr: Readable };
}

/**
 * Starts `istio-operator run ARGS` from the sources as its own process, quiet
 * (errors only, no health or metrics ports): an operator replica a test can
 * SIGKILL.
 */
export function spawnOperator(args: string[]): ChildProcess {
  return spawnCli(
    ['--log-level', 'error', 'run', ...args, '--health-addr', '', '--metrics-addr', ''],
    { stdio: 'ignore' },
  );
}
