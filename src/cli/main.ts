// Process entry point of the full CLI (bin/istio-operator.js loads this file
// from dist/ for every command that is not in the offline bundle).
import { main } from './cli.js';
import { buildProgram } from './program.js';

process.exitCode = await main(process.argv, buildProgram);
