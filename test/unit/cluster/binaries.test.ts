import assert from 'node:assert/strict';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  binaryVersion,
  cacheDir,
  ensureBinaries,
  ISTIO_BINARY_LINES,
  istioctlFor,
  moduleOf,
  pilotDiscoveryFor,
  pinnedVersion,
  TOOLS_DIR,
} from '../../../src/cluster/binaries.js';

describe('control-plane binaries', () => {
  let scratch: string;
  const savedCache = process.env.XDG_CACHE_HOME;
  const savedPath = process.env.PATH;

  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'binaries-test-'));
  });
  afterEach(async () => {
    process.env.XDG_CACHE_HOME = savedCache;
    process.env.PATH = savedPath;
    if (savedCache === undefined) delete process.env.XDG_CACHE_HOME;
    await rm(scratch, { recursive: true, force: true });
  });

  it('reads the pinned versions from the wrapper modules', async () => {
    assert.match(await pinnedVersion('k8s'), /^v1\.(3[4-9])\.\d+$/);
    assert.match(await pinnedVersion('etcd'), /^v3\.6\.\d+$/);
    assert.match(await pinnedVersion('kwok'), /^v0\.\d+\.\d+$/);
    assert.match(await pinnedVersion('istioctl'), /^1\.27\.\d+$/);
    // gateway-render runs istiod's code: it must be the oracle's Istio, or the build cache is not shared.
    assert.equal(await pinnedVersion('gateway-render'), await pinnedVersion('istioctl'));
    assert.equal(await pinnedVersion('istiod'), await pinnedVersion('istioctl'));
  });

  it('pins gateway-render to the same istio.io/istio commit as istioctl', async () => {
    const pin = async (mod: string) =>
      /^\s*istio\.io\/istio (\S+)/m.exec(
        await readFile(join(TOOLS_DIR, mod, 'go.mod'), 'utf8'),
      )?.[1];
    assert.ok(await pin('istioctl'));
    assert.equal(await pin('gateway-render'), await pin('istioctl'));
  });

  it("builds istioctl and pilot-discovery of 1.27, 1.30 and 1.31, each from its own line's wrapper", async () => {
    assert.deepEqual(ISTIO_BINARY_LINES, ['1.27', '1.30', '1.31']);
    assert.deepEqual(
      ISTIO_BINARY_LINES.map((l) => [istioctlFor(l), pilotDiscoveryFor(l)]),
      [
        ['istioctl', 'pilot-discovery'],
        ['istioctl-1.30', 'pilot-discovery-1.30'],
        ['istioctl-1.31', 'pilot-discovery-1.31'],
      ],
    );
    assert.deepEqual(
      ISTIO_BINARY_LINES.map((l) => [moduleOf(istioctlFor(l)!), moduleOf(pilotDiscoveryFor(l)!)]),
      [
        ['istioctl', 'istiod'],
        ['istio-1.30', 'istio-1.30'],
        ['istio-1.31', 'istio-1.31'],
      ],
    );
    // The version each build stamps (read from the real go.mod) is of the line it is asked for.
    for (const line of ISTIO_BINARY_LINES) {
      for (const bin of [istioctlFor(line)!, pilotDiscoveryFor(line)!]) {
        const v = await binaryVersion(bin);
        assert.match(v, /^\d+\.\d+\.\d+$/, bin);
        assert.equal(v.split('.').slice(0, 2).join('.'), line, `${bin} stamps ${v}`);
      }
    }
    assert.equal(await pinnedVersion('istio-1.30'), '1.30.4');
    assert.equal(await pinnedVersion('istio-1.31'), '1.31.0');
  });

  it('has no istioctl or pilot-discovery for a line without a wrapper (1.28, 1.29)', () => {
    for (const line of ['1.28', '1.29', '1.32', 'x']) {
      assert.equal(istioctlFor(line), undefined, line);
      assert.equal(pilotDiscoveryFor(line), undefined, line);
    }
  });

  it("declares both Istio commands as tools of each later line's wrapper, at one istio.io/istio pin", async () => {
    for (const mod of ['istio-1.30', 'istio-1.31']) {
      const gomod = await readFile(join(TOOLS_DIR, mod, 'go.mod'), 'utf8');
      const tools = /^tool \(\n([^)]*)\)/m.exec(gomod)?.[1]?.split(/\s+/).filter(Boolean);
      assert.deepEqual(
        tools?.sort(),
        ['istio.io/istio/istioctl/cmd/istioctl', 'istio.io/istio/pilot/cmd/pilot-discovery'],
        mod,
      );
      assert.match(gomod, /^\s*istio\.io\/istio v0\.0\.0-\d{14}-[0-9a-f]{12}\b/m, mod);
    }
  });

  it('keys the cache folder by module, version and a hash of go.mod and go.sum', async () => {
    process.env.XDG_CACHE_HOME = scratch;
    const tools = join(scratch, 'tools');
    await cp(join(TOOLS_DIR, 'etcd'), join(tools, 'etcd'), { recursive: true });
    const before = await cacheDir('etcd', tools);
    assert.match(
      before,
      new RegExp(`^${scratch}/istio-operator/bin/etcd-v3\\.6\\.\\d+-[0-9a-f]{8}$`),
    );
    assert.equal(await cacheDir('etcd', tools), before, 'stable for the same pins');
    const sum = join(tools, 'etcd', 'go.sum');
    await writeFile(sum, (await readFile(sum, 'utf8')) + 'example.invalid/x v1.0.0 h1:x=\n');
    assert.notEqual(await cacheDir('etcd', tools), before, 'a changed go.sum gets a new folder');
  });

  it('uses binaries from KUBEBUILDER_ASSETS without building', async () => {
    process.env.XDG_CACHE_HOME = scratch;
    const assets = join(scratch, 'assets');
    await mkdir(assets);
    for (const b of ['etcd', 'kube-apiserver']) {
      await writeFile(join(assets, b), '#!/bin/sh\n');
      await chmod(join(assets, b), 0o755);
    }
    process.env.PATH = '/nonexistent'; // proves nothing was built: there is no go
    const found = await ensureBinaries(['etcd', 'kube-apiserver'], { assetsDir: assets });
    assert.deepEqual(found, {
      etcd: join(assets, 'etcd'),
      'kube-apiserver': join(assets, 'kube-apiserver'),
    });
  });

  it('says exactly what to install when neither binaries nor Go are there', async () => {
    process.env.XDG_CACHE_HOME = scratch;
    process.env.PATH = '/nonexistent';
    await assert.rejects(
      ensureBinaries(['etcd', 'kube-apiserver'], { assetsDir: join(scratch, 'empty') }),
      (e: Error) => {
        assert.match(e.message, /missing control-plane binaries: etcd, kube-apiserver/);
        assert.match(e.message, /install Go 1\.24 or newer/);
        assert.match(e.message, /KUBEBUILDER_ASSETS/);
        return true;
      },
    );
  });

  it('shows build progress on stderr when the caller asked for none', async () => {
    // A stand-in `go` that lists two packages and "compiles" them, so the
    // progress path runs without a real build.
    process.env.XDG_CACHE_HOME = scratch;
    const fakeBin = join(scratch, 'fakebin');
    await mkdir(fakeBin);
    await writeFile(
      join(fakeBin, 'go'),
      [
        '#!/bin/sh',
        'case "$1" in',
        '  version) echo "go version go0.0 fake"; exit 0;;',
        '  list) echo a/one; echo a/two; exit 0;;',
        '  build) echo a/one >&2; echo a/two >&2',
        '    while [ "$1" != "-o" ]; do shift; done; printf "#!/bin/sh\\n" > "$2"; chmod +x "$2"; exit 0;;',
        'esac',
        'exit 1',
        '',
      ].join('\n'),
    );
    await chmod(join(fakeBin, 'go'), 0o755);
    process.env.PATH = `${fakeBin}:${savedPath}`;
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const found = await ensureBinaries(['kstatus'], { assetsDir: join(scratch, 'none') });
      assert.match(found.kstatus, new RegExp(`^${scratch}/istio-operator/bin/kstatus-`));
    } finally {
      process.stderr.write = write;
    }
    const out = lines.join('');
    assert.match(out, /• \[go build\] building kstatus from pinned Go modules/);
    assert.match(out, /kstatus: compiling up to 2 packages/);
    assert.match(out, /built .*kstatus in \d+s/);
  });
});
