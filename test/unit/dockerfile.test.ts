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

  it("gives the build stage the istio.io/api pin, and needs no Go: Istio's CRDs come extracted with src/", () => {
    const build = ins.filter((i) => i.stage < last);
    assert.ok(build.some((i) => i.op === 'COPY' && /^tools\/istio-api\s/.test(i.args)));
    assert.ok(build.some((i) => i.op === 'COPY' && /^src\s/.test(i.args)));
    assert.ok(
      !ins.some((i) => /golang|\/usr\/local\/go/.test(i.args)),
      'no Go toolchain in the image build: the generated CRD file is current for the pin',
    );
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

  it('runs nothing in the runtime stage, so the image needs no shell', () => {
    assert.deepEqual(
      final.filter((i) => i.op === 'RUN').map((i) => i.args),
      [],
      'a RUN in the runtime stage needs a shell in the runtime base',
    );
    const from = final.find((i) => i.op === 'FROM')!;
    assert.match(from.args, /^\$\{RUNTIME_IMAGE\}\s+AS\s+runtime$/i);
    const arg = ins.find((i) => i.op === 'ARG' && i.args.startsWith('RUNTIME_IMAGE='));
    assert.ok(arg, 'ARG RUNTIME_IMAGE has a default');
    assert.match(arg.args, /^RUNTIME_IMAGE=gcr\.io\/distroless\/cc-debian\d+:nonroot$/);
  });

  it('runs the Node.js binary that built dist/ (the code cache is valid only for it)', () => {
    assert.ok(
      final.some(
        (i) => i.op === 'COPY' && /^--from=build\s+\/usr\/local\/bin\/node\s+\S+$/.test(i.args),
      ),
      'COPY --from=build /usr/local/bin/node',
    );
  });

  it('sends every COPY source, and not node_modules, dist or .git, in the build context', () => {
    // .dockerignore is an allow-list: `*`, then `!name` for what the build may copy.
    const lines = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    assert.equal(lines[0], '*', '.dockerignore starts by excluding everything');
    const allowed = new Set(lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1)));
    assert.equal(allowed.size, lines.length - 1, 'every other line allows a path back in');
    for (const i of ins.filter((x) => x.op === 'COPY' && !x.args.includes('--from'))) {
      for (const s of i.args.split(/\s+/).slice(0, -1)) {
        assert.ok(
          allowed.has(s.replace(/\/$/, '')),
          `COPY source ${s} is excluded by .dockerignore`,
        );
      }
    }
    for (const kept of ['node_modules', 'dist', '.git', 'test', 'tools']) {
      assert.ok(!allowed.has(kept), `${kept} must stay out of the build context`);
    }
  });

  it('runs on a Node LTS base image the project supports', () => {
    const arg = ins.find((i) => i.op === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    assert.ok(arg);
    const major = Number(/node:(\d+)/.exec(arg.args)?.[1]);
    assert.ok(major >= 20 && major % 2 === 0, `Node ${major} is not an LTS line`);
  });
});
