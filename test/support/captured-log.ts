import { AsyncLocalStorage } from 'node:async_hooks';
import { Writable } from 'node:stream';
import winston from 'winston';
import { logger } from '../../src/log/logger.js';

/**
 * Who a log line came from: the in-process operator whose asynchronous work
 * wrote it (see operator-leaks.ts, which runs each operator's start inside
 * {@link logOwner}), else the test code itself.
 */
export const logOwner = new AsyncLocalStorage<string>();

/** One captured line: its writer and its text as the logger formatted it. */
interface Line {
  owner: string;
  text: string;
}

/** At most this many lines are held for one window (a test, or a suite's hooks). */
const MAX_LINES = 20_000;
const OWNER = Symbol('log owner');
const MESSAGE = Symbol.for('message');

let lines: Line[] = [];
let dropped = 0;
let installed = false;

/** Holds every line the shared logger writes instead of printing it. */
const capture = new Writable({
  objectMode: true,
  write(info: Record<string | symbol, unknown>, _enc, done) {
    const text = String(info[MESSAGE] ?? JSON.stringify(info));
    lines.push({ owner: (info[OWNER] as string | undefined) ?? 'test', text });
    if (lines.length > MAX_LINES) {
      lines.shift();
      dropped++;
    }
    done();
  },
});

/**
 * Makes the shared logger quiet for the test run: its lines (the in-process
 * operators', mostly: thousands per run, JSON) are held per window, shown
 * only under a failing test ({@link takeCapturedLog}) and dropped otherwise.
 * Tests that add a sink of their own to the logger still get every line.
 * Idempotent.
 */
export function captureLogs(): void {
  if (installed) return;
  installed = true;
  for (const t of logger.transports.slice()) logger.remove(t);
  logger.add(new winston.transports.Stream({ stream: capture }));
  // Every line passes through the logger's write() in the writer's own
  // asynchronous context: the owner is read there (the transports run
  // later, in the stream's context, where it may be another writer's).
  const write = logger.write.bind(logger) as (info: Record<string | symbol, unknown>) => boolean;
  (logger as unknown as { write: typeof write }).write = (info) => {
    const owner = logOwner.getStore();
    if (owner !== undefined && info[OWNER] === undefined) info[OWNER] = owner;
    return write(info);
  };
}

/**
 * The lines captured since the last call, as a block to print under a
 * failing test (the last `max`, each prefixed with its writer), or '' when
 * there were none; the window starts afresh either way.
 */
export function takeCapturedLog(max = 300): string {
  const taken = lines;
  const lost = dropped;
  lines = [];
  dropped = 0;
  if (taken.length === 0) return '';
  const shown = taken.slice(-max);
  const skipped = taken.length - shown.length + lost;
  return [
    `--- log of the in-process operators and test code during this test (${taken.length + lost} lines${skipped ? `, the first ${skipped} not shown` : ''}) ---`,
    ...shown.map((l) => `[${l.owner}] ${l.text}`),
  ].join('\n');
}

/** Drops the lines captured so far (a window that passed). */
export function dropCapturedLog(): void {
  lines = [];
  dropped = 0;
}
