import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/cli.js';

interface Instruction {
  op: string;
  args: string;
  stage: number;
}

/** A small Dockerfile reader: joins continuation lines, drops comments, tracks stages. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(line);
    assert.ok(m, `unparseable Dockerfile line: ${line}`);
    const op = m[1]!.toUpperCase();
    if (op === 'FROM') stage += 1;
    out.push({ op, args: m[2]!, stage });
  }
  return out;
}

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const ins = parseDockerfile(text);
  const last = Math.max(...ins.map((i) => i.stage));
  const final = ins.filter((i) => i.stage === last);

  it('is a multi-stage build whose runtime stage copies compiled code from the build stage', () => {
    assert.ok(last >= 1, 'at least two FROM stages');
    assert.ok(final.some((i) => i.op === 'COPY' && /--from=build\s+\S*dist/.test(i.args)));
    assert.ok(ins.some((i) => i.stage < last && i.op === 'RUN' && /npm ci/.test(i.args)));
    assert.ok(ins.some((i) => i.op === 'RUN' && /npm run build/.test(i.args)));
    assert.ok(
      ins.some((i) => i.op === 'RUN' && /--omit=dev/.test(i.args)),
      'dev dependencies are dropped',
    );
  });

  it("gives the build stage Go and the istio.io/api pin, from which the build takes Istio's CRDs", () => {
    const build = ins.filter((i) => i.stage > 0 && i.stage < last);
    assert.ok(build.some((i) => i.op === 'COPY' && /--from=go\s+\/usr\/local\/go/.test(i.args)));
    assert.ok(build.some((i) => i.op === 'ENV' && /PATH=\/usr\/local\/go\/bin/.test(i.args)));
    assert.ok(build.some((i) => i.op === 'COPY' && /^tools\/istio-api\s/.test(i.args)));
  });

  it('runs the runtime stage as a numeric non-root user', () => {
    const users = final.filter((i) => i.op === 'USER');
    assert.equal(users.length, 1);
    const m = /^(\d+)(?::(\d+))?$/.exec(users[0]!.args.trim());
    assert.ok(m, `USER must be numeric, got ${users[0]!.args}`);
    assert.notEqual(Number(m[1]), 0);
  });

  it('uses the CLI as exec-form entrypoint with `run` as the default command', () => {
    const entry = final.find((i) => i.op === 'ENTRYPOINT');
    const cmd = final.find((i) => i.op === 'CMD');
    assert.ok(entry && cmd);
    const entryArgs = JSON.parse(entry.args) as string[];
    assert.equal(entryArgs[0], 'node');
    assert.match(entryArgs[1]!, /bin\/istio-operator\.js$/);
    assert.deepEqual(JSON.parse(cmd.args), ['run']);
  });

  it('copies only paths that exist in the repository', () => {
    for (const i of ins.filter((x) => x.op === 'COPY' && !x.args.includes('--from'))) {
      const sources = i.args.split(/\s+/).slice(0, -1);
      for (const s of sources) assert.ok(existsSync(join(ROOT, s)), `COPY source ${s} is missing`);
    }
  });

  it('runs on a Node LTS base image the project supports', () => {
    const arg = ins.find((i) => i.op === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    assert.ok(arg);
    const major = Number(/node:(\d+)/.exec(arg.args)?.[1]);
    assert.ok(major >= 20 && major % 2 === 0, `Node ${major} is not an LTS line`);
  });
});
