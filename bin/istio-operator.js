#!/usr/bin/env node
// Entry point of the `istio-operator` command. Runs the compiled CLI from
// dist/ (built by `npm ci` through the prepare script); in a checkout where
// dist/ is missing it runs the TypeScript sources through tsx instead, so a
// developer never runs stale code by accident.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const compiled = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (existsSync(compiled)) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
