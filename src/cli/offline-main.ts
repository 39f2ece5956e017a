// Entry point of the offline bundle, dist/offline-cli.cjs (scripts/build.ts).
// bin/istio-operator.js loads the bundle for the commands in OFFLINE_COMMANDS
// and calls run(process.argv); the bundle is CommonJS wrapped in a function
// (no top-level await), so that it can be compiled with a V8 code cache.
import { main } from './cli.js';
import { buildOfflineProgram } from './offline.js';

/** Runs the offline program on a full argv (node, script, args…); resolves to the exit code. */
export function run(argv: string[]): Promise<number> {
  return main(argv, buildOfflineProgram);
}
