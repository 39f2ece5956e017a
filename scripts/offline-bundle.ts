/**
 * The offline bundle: every command that needs no cluster (`manifest`,
 * `profile`, `validate`, `version`; src/cli/offline.ts) in one pre-built file,
 * dist/offline-cli.cjs, with a V8 code cache beside it.
 *
 * Why: `manifest generate` runs in CI pipelines, where the whole process is
 * what counts, and its render takes a few milliseconds while Node spends
 * most of the time starting up, resolving and reading some hundred modules,
 * compiling them and then compiling the 0.5 MB ahead-of-time validator on its
 * first call. One file removes the module resolution; the code cache
 * removes the compilation. Node 20 has no compile cache of its own
 * (module.enableCompileCache() arrived in 22.1) and accepts V8 cached data
 * only for vm.Script, not for ES modules, so the bundle is CommonJS, wrapped
 * by the build in a function expression that bin/istio-operator.js compiles
 * with vm.Script and the cache. The file is the exact string both the
 * training run below and bin compile: nothing can drift between them.
 *
 * V8 checks the cache against its version, its flags and the source length
 * and ignores a cache that does not fit (the command then runs, only
 * slower); the build writes both files together, and bin makes its own
 * cache when the build's cannot fit (another Node, node flags).
 */
import { build, type Plugin } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generatedConstants, type IstioCrdSet } from './istio-crds.js';

/** Repository root. */
export const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** File names inside dist/ (bin/istio-operator.js spells them too). */
export const OFFLINE_BUNDLE = 'offline-cli.cjs';
/**
 * The cache is named for the Node version that made it (the build's): bin
 * uses it only under that version and without extra node flags, the two
 * cases where V8 would accept it; otherwise bin keeps a cache of its own per
 * version and flags (see bin/istio-operator.js).
 */
export const OFFLINE_CODE_CACHE = `offline-cli-${process.version}.v8cache`;

/**
 * The parameter list of the function the bundle is wrapped in: what a
 * CommonJS module sees. bin passes a require made by createRequire for the
 * bundle's own path: it loads Node's built-in modules (and winston, which
 * the offline commands never use) at run time.
 */
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) {\n';
const WRAPPER_TAIL = '\n})\n';

/**
 * Commands run once at build time before the code cache is taken, so that the
 * cache holds the bytecode of every function they call (V8 compiles
 * functions lazily, on first call; a cache taken after running holds all of
 * them). The common paths: demo and ambient renders, YAML and JSON output,
 * profile dump and list, version.
 */
export const TRAINING_RUNS: readonly (readonly string[])[] = [
  ['manifest', 'generate', '--set', 'profile=demo'],
  ['manifest', 'generate', '--set', 'profile=ambient', '-o', 'json'],
  ['manifest', 'generate', '--set', 'profile=default', '--component', 'pilot'],
  ['profile', 'dump', 'demo'],
  ['profile', 'list'],
  ['version'],
];

/**
 * The ahead-of-time validator requires ajv's one-function runtime helper
 * through a createRequire of its own, which esbuild cannot follow; resolving
 * it in node_modules at run time costs about 1.5 ms. Dropping that line
 * leaves a plain require() call that esbuild bundles.
 */
const bundleValidatorRuntime: Plugin = {
  name: 'bundle-validator-runtime',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]api[\\/]generated[\\/]validator\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const own = 'const require = createRequire(import.meta.url);';
      if (!text.includes(own)) {
        throw new Error(
          `${args.path} no longer creates its own require; update ${import.meta.url}`,
        );
      }
      return { contents: text.replace(own, ''), loader: 'ts' };
    });
  },
};

/**
 * commander requires node:child_process when it loads, for stand-alone
 * executable subcommands, which this CLI never defines; loading it (with
 * net, dgram and the rest) costs about 2 ms. commander gets a stand-in that
 * loads the real module on first use instead.
 */
const lazyChildProcess: Plugin = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)
        ? { path: 'child_process', namespace: 'lazy' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents:
        'let real;\n' +
        "const load = () => (real ??= require('node:child_process'));\n" +
        'module.exports = new Proxy({}, { get: (_, key) => load()[key] });\n',
      loader: 'js',
    }));
  },
};

/** The file beside the bundle holding Istio's CRDs (bin/istio-operator.js needs not know it). */
export const OFFLINE_CRD_DATA = 'offline-istio-crds.json';

/**
 * Istio's CRDs (src/render/generated/istio-crds.ts, 3.2 MB of JSON and YAML
 * text) stay out of the bundle: in it they were also copied into the V8
 * code cache, and loading both cost every offline command, `version`
 * included, some tens of milliseconds. The bundle gets a stub with the same
 * exports whose data is read from {@link OFFLINE_CRD_DATA}, written here
 * beside the bundle, on first use: only a render that includes Base reads it.
 */
async function istioCrdsBesideBundle(outDir: string): Promise<Plugin> {
  const generated = join(ROOT, 'src', 'render', 'generated', 'istio-crds.ts');
  const mod = (await import(pathToFileURL(generated).href)) as {
    ISTIO_API_PIN_DIGEST: string;
    YAML_WRITER_DIGEST: string;
    ISTIO_CRD_SETS: Readonly<Record<string, IstioCrdSet>>;
    istioCrdData(): unknown;
  };
  await writeFile(
    join(outDir, OFFLINE_CRD_DATA),
    packTexts(
      mod.istioCrdData() as { json: string[]; head: string[]; specYaml: (string | null)[] },
    ),
    'latin1',
  );
  const stub =
    generatedConstants(mod.ISTIO_API_PIN_DIGEST, mod.YAML_WRITER_DIGEST, mod.ISTIO_CRD_SETS) +
    "import { closeSync, openSync, readSync } from 'node:fs';\n" +
    "import { join } from 'node:path';\n" +
    'let data;\n' +
    '/**\n' +
    ' * Read from beside the bundle on first use (scripts/offline-bundle.ts, packTexts):\n' +
    ' * the head, then each text only when asked for, straight from the file: a render\n' +
    " * reads its own line's CRDs, not the other lines'.\n" +
    ' */\n' +
    'export function istioCrdData() {\n' +
    `  if (data) return data;\n` +
    `  const fd = openSync(join(__dirname, ${JSON.stringify(OFFLINE_CRD_DATA)}), 'r');\n` +
    '  let head = Buffer.alloc(0);\n' +
    '  let nl = -1;\n' +
    '  while (nl < 0) {\n' +
    '    const chunk = Buffer.alloc(65536);\n' +
    '    const n = readSync(fd, chunk, 0, chunk.length, head.length);\n' +
    "    if (n === 0) throw new Error('" +
    OFFLINE_CRD_DATA +
    ": no head line');\n" +
    '    head = Buffer.concat([head, chunk.subarray(0, n)]);\n' +
    '    nl = head.indexOf(10);\n' +
    '  }\n' +
    "  const places = JSON.parse(head.toString('latin1', 0, nl));\n" +
    '  const text = (r) => {\n' +
    '    if (!r) return null;\n' +
    '    const b = Buffer.allocUnsafe(r[1] - r[0]);\n' +
    '    readSync(fd, b, 0, b.length, nl + 1 + r[0]);\n' +
    "    return b.toString('latin1');\n" +
    '  };\n' +
    '  const lazy = (list) => {\n' +
    '    const got = new Map();\n' +
    '    return new Proxy(list, {\n' +
    '      get(t, k) {\n' +
    "        if (typeof k !== 'string' || !/^\\d+$/.test(k)) return t[k];\n" +
    '        if (!got.has(k)) got.set(k, text(t[Number(k)]));\n' +
    '        return got.get(k);\n' +
    '      },\n' +
    '    });\n' +
    '  };\n' +
    '  process.once("exit", () => closeSync(fd));\n' +
    '  return (data = { json: lazy(places.json), head: lazy(places.head), specYaml: lazy(places.specYaml) });\n' +
    '}\n';
  return {
    name: 'istio-crds-beside-bundle',
    setup(b) {
      b.onLoad({ filter: /[\\/]src[\\/]render[\\/]generated[\\/]istio-crds\.ts$/ }, () => ({
        contents: stub,
        loader: 'ts',
      }));
    },
  };
}

/**
 * The CRD data as one line of JSON giving each text's place, then the texts
 * one after another, unescaped: each text is read from its place as latin1
 * (the texts are ASCII) when first asked for, which costs next to nothing,
 * where parsing the same megabytes as JSON (every quote and line break
 * escaped) was the largest part of a `manifest generate` run's extra time,
 * and reading the whole file (3 MB for four Istio lines) a good part of the rest.
 */
export function packTexts(data: {
  json: string[];
  head: string[];
  specYaml: (string | null)[];
}): string {
  let body = '';
  const place = (t: string | null) => {
    if (t === null) return null;
    if (/[^\x20-\x7e\n\t\r]/.test(t)) throw new Error(`${OFFLINE_CRD_DATA}: expected ASCII text`);
    const r = [body.length, body.length + t.length];
    body += t;
    return r;
  };
  const head = {
    json: data.json.map(place),
    head: data.head.map(place),
    specYaml: data.specYaml.map(place),
  };
  return `${JSON.stringify(head)}\n${body}`;
}

/**
 * Bundles src/cli/offline-main.ts into `outDir/offline-cli.cjs`. The output
 * is ASCII (esbuild escapes the rest), which bin relies on to read it as
 * latin1: a one-byte string, no UTF-8 decoding of a megabyte on every run.
 */
export async function bundleOffline(outDir: string): Promise<string> {
  const result = await build({
    entryPoints: [join(ROOT, 'src/cli/offline-main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    charset: 'ascii',
    write: false,
    outfile: join(outDir, OFFLINE_BUNDLE),
    logLevel: 'warning',
    // The sources are ES modules; the two that create a require() for a
    // package loaded at run time do it from import.meta.url.
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: "var __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [bundleValidatorRuntime, lazyChildProcess, await istioCrdsBesideBundle(outDir)],
  });
  const [out] = result.outputFiles;
  if (!out || result.outputFiles.length !== 1) throw new Error('esbuild: expected one output file');
  const code = out.text;
  // A dynamic import() left in the bundle would fail under vm.Script.
  if (/\bimport\(/.test(code)) throw new Error(`${OFFLINE_BUNDLE}: contains a dynamic import()`);
  const file = join(outDir, OFFLINE_BUNDLE);
  await writeFile(file, WRAPPER_HEAD + code + WRAPPER_TAIL, 'latin1');
  return file;
}

/**
 * Code run in a fresh Node process (no tsx, no NODE_OPTIONS: V8 rejects a
 * cache made under other flags) that loads the bundle the way
 * bin/istio-operator.js does, runs TRAINING_RUNS, and writes the cache.
 */
const TRAINER = `
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
const [file, cacheFile, runs] = process.argv.slice(1);
const script = new Script(readFileSync(file, 'latin1'), { filename: file });
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
for (const args of JSON.parse(runs)) {
  const code = await module.exports.run(['node', 'istio-operator', ...args]);
  if (code !== 0) throw new Error('training run failed with exit code ' + code + ': ' + args.join(' '));
}
writeFileSync(cacheFile, script.createCachedData());
`;

/**
 * Runs the training commands against `outDir/offline-cli.cjs` and writes
 * `outDir/offline-cli-<node version>.v8cache`. Also the bundle's smoke test: the build fails
 * when one of them fails.
 */
export function trainCodeCache(outDir: string): string {
  const file = join(outDir, OFFLINE_BUNDLE);
  const cacheFile = join(outDir, OFFLINE_CODE_CACHE);
  const r = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', TRAINER, file, cacheFile, JSON.stringify(TRAINING_RUNS)],
    {
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    },
  );
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`training the code cache failed:\n${r.stderr}`);
  return cacheFile;
}

/** Bundle plus code cache, replacing both (an old cache never survives a new bundle). */
export async function buildOffline(outDir: string): Promise<{ bundle: string; cache: string }> {
  const old = await readdir(outDir).catch(() => [] as string[]);
  for (const f of old.filter((f) => /^offline-cli.*\.v8cache$/.test(f))) {
    await rm(join(outDir, f), { force: true });
  }
  const bundle = await bundleOffline(outDir);
  return { bundle, cache: trainCodeCache(outDir) };
}
