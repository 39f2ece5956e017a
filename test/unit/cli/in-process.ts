import { CommanderError } from 'commander';
import { main } from '../../../src/cli/cli.js';
import { buildProgram } from '../../../src/cli/program.js';
import type { CliResult } from '../../support/cli.js';

/**
 * Runs the CLI inside the test process, capturing what it writes. Much
 * faster than spawning tsx per case; the few tests that must see a real
 * process (exit status, no stack trace) use runCli instead.
 */
export async function runInProcess(args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  const exitCode = process.exitCode;
  // Subcommands added with addCommand() do not inherit exitOverride, so
  // commander calls process.exit for --help and usage errors; turn that into
  // the CommanderError main() already handles.
  const exit = process.exit.bind(process);
  process.exit = ((code?: number) => {
    throw new CommanderError(code ?? 0, 'test.exit', '');
  }) as typeof process.exit;
  try {
    const code = await main(['node', 'istio-operator', ...args], buildProgram);
    return { code: code || (process.exitCode as number | undefined) || 0, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = exitCode;
    process.exit = exit;
  }
}
