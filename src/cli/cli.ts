import { type Command, CommanderError } from 'commander';
import { UserError } from './errors.js';

/**
 * Runs the CLI built by `build` (buildProgram, or the offline bundle's
 * smaller buildOfflineProgram; a parameter so this file imports neither).
 * User errors (UserError, commander usage errors) print one
 * clear message and exit 1; unexpected errors print their stack, because
 * those are bugs someone has to find.
 */
export async function main(
  argv: string[],
  build: (argv: string[]) => Command | Promise<Command>,
): Promise<number> {
  stopQuietlyOnClosedPipe();
  const program = await build(argv);
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    // A command that succeeded but has a non-zero answer (`cluster status` of
    // an unhealthy control plane) sets process.exitCode itself.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed the message (or help / version).
      return err.exitCode;
    }
    if (err instanceof UserError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(
      `internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return 2;
  }
}

let pipeHandled = false;

/**
 * `istio-operator manifest generate | head` must not end in an EPIPE stack
 * trace: when the reader closes stdout, stop at once, as a command killed by
 * SIGPIPE would, keeping the exit code.
 */
function stopQuietlyOnClosedPipe(): void {
  if (pipeHandled) return;
  pipeHandled = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit();
  });
}
