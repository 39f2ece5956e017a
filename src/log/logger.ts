import { createRequire } from 'node:module';
import type * as Winston from 'winston';

/** Output format of log lines: JSON for machines (containers), text for people. */
export type LogFormat = 'json' | 'text';

/** Log levels accepted by `--log-level`, most to least severe. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Options for {@link configureLogger}. */
export interface LoggerOptions {
  /** Defaults to `json` when stderr is not a terminal (a container), else `text`. */
  format?: LogFormat;
  /** Defaults to `info`. */
  level?: LogLevel;
}

// winston (with logform, colors, readable-stream) takes about 60 ms to import
// on the project's machine: more than a whole `manifest generate` needs
// otherwise. Commands that never log must not pay for it, so it is required
// (synchronously: it is CommonJS) the first time the logger is used.
let winstonModule: typeof Winston | undefined;
function winston(): typeof Winston {
  return (winstonModule ??= createRequire(import.meta.url)('winston') as typeof Winston);
}

function textFormat(): Winston.Logform.Format {
  return winston().format.printf((info) => {
    const { level, message, timestamp, ...fields } = info;
    const extra = Object.entries(fields)
      .filter(([k]) => typeof k === 'string')
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${String(timestamp)} ${level.padEnd(5)} ${String(message)}${extra ? ' ' + extra : ''}`;
  });
}

function formatFor(format: LogFormat): Winston.Logform.Format {
  const { format: f } = winston();
  return format === 'json'
    ? f.combine(f.timestamp(), f.json())
    : f.combine(f.timestamp({ format: 'HH:mm:ss.SSS' }), textFormat());
}

/** What configureLogger asked for before the logger existed. */
let pending: Required<LoggerOptions> | undefined;
let instance: Winston.Logger | undefined;

function realLogger(): Winston.Logger {
  if (!instance) {
    const w = winston();
    instance = w.createLogger({
      level: pending?.level ?? 'info',
      format: formatFor(pending?.format ?? (process.stderr.isTTY ? 'text' : 'json')),
      transports: [new w.transports.Console({ stderrLevels: [...LOG_LEVELS] })],
    });
  }
  return instance;
}

/**
 * The one logger everything writes to. Logs go to stderr so that commands
 * whose stdout is data (`manifest generate`, `profile dump`) stay pipeable.
 *
 * It is a stand-in that creates the winston logger on first use (a proxy
 * rather than a getter so that every module keeps `logger.info(…)` and the
 * full winston.Logger type); methods are bound to the real logger.
 */
export const logger: Winston.Logger = new Proxy({} as Winston.Logger, {
  get(_target, prop) {
    const real = realLogger();
    const value: unknown = Reflect.get(real, prop, real);
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(real) : value;
  },
  set(_target, prop, value) {
    return Reflect.set(realLogger(), prop, value);
  },
  has(_target, prop) {
    return Reflect.has(realLogger(), prop);
  },
});

/** Applies `--log-format` / `--log-level` to the shared logger (without loading winston if unused so far). */
export function configureLogger(opts: LoggerOptions): void {
  const format = opts.format ?? (process.stderr.isTTY ? 'text' : 'json');
  const level = opts.level ?? 'info';
  if (!instance) {
    pending = { format, level };
    return;
  }
  instance.format = formatFor(format);
  instance.level = level;
}

/** Parses a `--log-format` value, naming the accepted values on error. */
export function parseLogFormat(value: string): LogFormat {
  if (value === 'json' || value === 'text') return value;
  throw new Error(`--log-format: "${value}" is not a log format (use json or text)`);
}

/** Parses a `--log-level` value, naming the accepted values on error. */
export function parseLogLevel(value: string): LogLevel {
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
  throw new Error(`--log-level: "${value}" is not a log level (use ${LOG_LEVELS.join(', ')})`);
}
