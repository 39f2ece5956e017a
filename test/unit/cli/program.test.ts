import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildProgram, COMMAND_NAMES } from '../../../src/cli/program.js';
import { commandName } from '../../../src/cli/root.js';
import { runInProcess } from './in-process.js';

const argv = (...args: string[]) => ['node', 'istio-operator', ...args];
const names = (p: Command) => p.commands.map((c) => c.name());

describe('istio-operator command tree', () => {
  it('finds the command name after the global flags', () => {
    const cases: [string[], string | undefined][] = [
      [['status', '-A'], 'status'],
      [['--log-level', 'debug', 'run', '--workers', '2'], 'run'],
      [['--log-format=json', '--log-level=warn', 'manifest', 'generate'], 'manifest'],
      [['--help'], undefined],
      [['--version'], undefined],
      [[], undefined],
      [['--log-level', 'debug'], undefined],
    ];
    for (const [args, want] of cases) assert.equal(commandName(args), want, args.join(' '));
  });

  it('loads only the command it runs, and every command otherwise', async () => {
    assert.deepEqual(names(await buildProgram(argv('status'))), ['status']);
    assert.deepEqual(names(await buildProgram(argv('--log-level', 'debug', 'run'))), ['run']);
    for (const other of [argv('--help'), argv('help', 'status'), argv('stauts'), argv()]) {
      assert.deepEqual(names(await buildProgram(other)), [...COMMAND_NAMES], other.join(' '));
    }
  });

  it('gives a command loaded alone the same help as in the whole tree', async () => {
    const all = await buildProgram();
    for (const name of COMMAND_NAMES) {
      const alone = (await buildProgram(argv(name))).commands[0]!;
      const within = all.commands.find((c) => c.name() === name)!;
      assert.equal(alone.helpInformation(), within.helpInformation(), name);
      for (const sub of within.commands) {
        const subAlone = alone.commands.find((c) => c.name() === sub.name())!;
        assert.equal(subAlone.helpInformation(), sub.helpInformation(), `${name} ${sub.name()}`);
      }
    }
  });

  it('still suggests the closest command for a typo', async () => {
    const r = await runInProcess(['stauts']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown command 'stauts'[\s\S]*Did you mean status\?/);
  });
});
