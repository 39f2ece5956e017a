// Process entry point of the CLI (bin/istio-operator.js loads this file).
import { main } from './cli.js';

process.exitCode = await main(process.argv);
