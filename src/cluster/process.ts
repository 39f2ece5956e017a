import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** A process of a local control plane, as recorded in its state file. */
export interface ProcessRecord {
  name: string;
  pid: number;
  /** Absolute path of the binary, used to tell our process from a reused pid. */
  binary: string;
  /** Command-line arguments, so the process can be restarted as it was. */
  args: string[];
  log: string;
}

/**
 * Starts a control-plane process in its own process group, with stdout and
 * stderr appended to `log`. The group lets `cluster up` return while the
 * processes keep running; stopping kills the whole group. `opts` sets the
 * working directory and replaces the environment (a local istiod gets only
 * its Deployment's).
 */
export function startProcess(
  name: string,
  binary: string,
  args: string[],
  log: string,
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): ProcessRecord {
  const fd = openSync(log, 'a');
  try {
    const child = spawn(binary, args, { ...opts, detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`${name}: could not start ${binary}`);
    child.unref();
    // Reap the child if it dies while we are still running, so it is never a zombie
    // that isAlive() would report as running.
    child.on('error', () => {});
    return { name, pid: child.pid, binary, args, log };
  } finally {
    closeSync(fd);
  }
}

/** True while the recorded process exists and is still running our binary. */
export function isAlive(p: ProcessRecord): boolean {
  try {
    process.kill(p.pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) Z/.test(stat)) return false;
    const cmdline = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8');
    return cmdline.split('\0')[0] === p.binary;
  } catch {
    // No /proc (not Linux): trust the signal check.
    return true;
  }
}

function signalGroup(p: ProcessRecord, signal: NodeJS.Signals): void {
  for (const target of [-p.pid, p.pid]) {
    try {
      process.kill(target, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Stops a process: SIGTERM to its group, then SIGKILL after `graceMs`.
 * Resolves once it is gone.
 */
export async function stopProcess(p: ProcessRecord, graceMs = 10_000): Promise<void> {
  if (!isAlive(p)) return;
  signalGroup(p, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(p) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(p)) {
    signalGroup(p, 'SIGKILL');
    const killDeadline = Date.now() + 5000;
    while (isAlive(p) && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 50));
  }
}

/** Kills a process group at once; safe inside a synchronous `exit` handler. */
export function killNow(p: ProcessRecord): void {
  if (isAlive(p)) signalGroup(p, 'SIGKILL');
}

/** The last `lines` lines of a process log ('' when there is none). */
export async function logTail(path: string, lines = 30): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text
      .split('\n')
      .slice(-lines - 1)
      .join('\n');
  } catch {
    return '';
  }
}
