import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { ROOT } from '../../support/cli.js';

interface KubectlResult {
  code: number;
  out: string;
  ms: number;
}

interface ScenarioResult {
  control: number;
  connections: { to: string; from: string }[];
  proxy: { target: string; decision: string; service?: string; reason?: string }[];
  pod?: KubectlResult;
  deployment?: KubectlResult;
  replicaSetEvents?: string;
  virtualService?: KubectlResult;
  urlWebhook?: KubectlResult;
  error?: string;
}

/** Runs `ip ARGS`; throws with ip's own message (root and iproute2 are required). */
function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Issue 14: nothing the local control plane does may open a connection off
 * this machine. The scenario runs in a network namespace of this test's own
 * where all of 10.0.0.0/8 is local, so a webhook call at a Service ClusterIP
 * that bypassed the egress proxy would land on the scenario's listener
 * instead of on the network.
 */
describe('local control plane: webhook calls stay on the machine', function () {
  this.timeout(5 * 60_000);
  const netns = `iop-egress-${process.pid}`;
  let result: ScenarioResult;

  before(async function () {
    // Fails loudly (no skip) where network namespaces cannot be made: the
    // test needs root and iproute2, as CI has.
    ip(['netns', 'add', netns]);
    try {
      ip(['-n', netns, 'link', 'set', 'lo', 'up']);
      ip(['-n', netns, 'route', 'add', 'local', '10.0.0.0/8', 'dev', 'lo']);
      const child = spawn(
        'ip',
        [
          'netns',
          'exec',
          netns,
          process.execPath,
          '--import',
          'tsx',
          'test/integration/cluster/egress-scenario.ts',
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 4 * 60_000);
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      assert.ok(line, `the scenario printed no result (exit ${code}):\n${stdout}\n${stderr}`);
      result = JSON.parse(line) as ScenarioResult;
      assert.equal(result.error, undefined, `the scenario failed:\n${result.error}\n${stderr}`);
    } finally {
      ip(['netns', 'del', netns]);
    }
  });

  it('records no connection to any ClusterIP, while its listener does see direct ones', () => {
    assert.equal(result.control, 1, 'the control connection to 10.0.0.137:443 was recorded');
    assert.deepEqual(result.connections, []);
  });

  it('sends the webhook calls of injection and validation through the egress proxy', () => {
    const istiod = result.proxy.filter((e) => e.service === 'istio-system/istiod');
    assert.ok(istiod.length >= 2, JSON.stringify(result.proxy));
    assert.ok(
      istiod.every((e) => e.decision === 'refused' && /^10\.0\.0\.\d+:443$/.test(e.target)),
    );
  });

  it('fails a pod creation in an injected namespace fast, saying why', () => {
    const pod = result.pod!;
    assert.notEqual(pod.code, 0, pod.out);
    assert.match(pod.out, /failed calling webhook/);
    assert.match(pod.out, /Service istio-system\/istiod port 443 has no local backend/);
    assert.ok(pod.ms < 5000, `kubectl run took ${pod.ms} ms`);
    assert.match(result.replicaSetEvents ?? '', /no local backend/);
  });

  it('still stores a VirtualService: the validating webhook fails open until istiod patches it', () => {
    assert.equal(result.virtualService!.code, 0, result.virtualService!.out);
  });

  it('routes a webhook given by URL through the proxy too, and refuses an off-machine one', () => {
    const r = result.urlWebhook!;
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /10\.0\.0\.200:443 is not on this machine/);
    assert.ok(
      result.proxy.some((e) => e.target === '10.0.0.200:443' && e.decision === 'refused'),
      JSON.stringify(result.proxy),
    );
  });
});
