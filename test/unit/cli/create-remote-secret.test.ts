import assert from 'node:assert/strict';
import { runInProcess } from './in-process.js';

describe('istio-operator create-remote-secret (usage)', () => {
  it('--help lists its flags, the kubeconfig flags and examples', async () => {
    const r = await runInProcess(['create-remote-secret', '--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const flag of ['--name', '--server', '--type', '--kubeconfig', '--context', '--timeout'])
      assert.match(r.stdout, new RegExp(`${flag} `), flag);
    assert.match(r.stdout, /choices: "remote", "config"/);
    assert.match(r.stdout, /Examples:\n {2}# connect cluster-b/);
  });

  const refusals: [string[], RegExp][] = [
    [[], /--name is required: .*multiCluster\.clusterName/],
    [['--name', 'bad/name'], /--name "bad\/name": a cluster ID is 1 to 63/],
    [
      ['--name', 'b', '--server', '10.0.0.1:6443'],
      /--server "10\.0\.0\.1:6443": give the API server's URL/,
    ],
  ];
  for (const [args, message] of refusals) {
    it(`refuses ${args.join(' ') || 'no --name'} before it talks to a cluster`, async () => {
      const r = await runInProcess([
        'create-remote-secret',
        ...args,
        '--kubeconfig',
        '/nonexistent',
      ]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    });
  }
});
