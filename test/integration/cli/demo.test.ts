import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../../src/cluster/health.js';
import type { ControlPlaneState } from '../../../src/cluster/controlplane.js';
import { isAlive } from '../../../src/cluster/process.js';
import { spawnCli } from '../../support/cli.js';

describe('npm start (istio-operator demo)', () => {
  it('brings up a control plane, makes the demo IstioOperators HEALTHY, and tears it all down on Ctrl-C', async function () {
    this.timeout(240_000);
    const base = await mkdtemp(join(tmpdir(), 'demo-test-'));
    const dir = join(base, 'cp');
    const env = { ...process.env };
    delete env.KUBECONFIG; // the demo must use its own control plane
    const p = spawnCli(['demo', '--dir', dir], { env });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    try {
      await waitFor(
        'all HEALTHY',
        async () => /All 3 IstioOperators are HEALTHY after [\d.]+s\./.test(out),
        200_000,
        () => (p.exitCode !== null ? `demo exited early:\n${out}` : undefined),
        250,
      );
      assert.match(out, new RegExp(`export KUBECONFIG=${join(dir, 'kubeconfig')}`));
      assert.match(out, /^istio-system\/control-plane\s+HEALTHY\s+True\s+default\s+demo/m);
      assert.match(out, /^istio-ingress\/ingress\s+HEALTHY\s+True/m);
      assert.match(out, /RECONCILING/, 'the live view showed the way to HEALTHY');
      const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as ControlPlaneState;
      p.kill('SIGINT');
      assert.equal(await exited, 0, out);
      assert.equal(state.processes.some(isAlive), false, 'no control-plane process left');
      assert.equal(existsSync(join(dir, 'state.json')), false, 'control-plane data removed');
    } finally {
      if (p.exitCode === null) p.kill('SIGKILL');
      await rm(base, { recursive: true, force: true });
    }
  });
});
