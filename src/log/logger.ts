import winston from 'winston';

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

const textFormat = winston.format.printf((info) => {
  const { level, message, timestamp, ...fields } = info;
  const extra = Object.entries(fields)
    .filter(([k]) => typeof k === 'string')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${String(timestamp)} ${level.padEnd(5)} ${String(message)}${extra ? ' ' + extra : ''}`;
});

function formatFor(format: LogFormat): winston.Logform.Format {
  return format === 'json'
    ? winston.format.combine(winston.format.timestamp(), winston.format.json())
    : winston.format.combine(winston.format.timestamp({ format: 'HH:mm:ss.SSS' }), textFormat);
}

/**
 * The one logger everything writes to. Logs go to stderr so that commands
 * whose stdout is data (`manifest generate`, `profile dump`) stay pipeable.
 */
export const logger: winston.Logger = winston.createLogger({
  level: 'info',
  format: formatFor(process.stderr.isTTY ? 'text' : 'json'),
  transports: [new winston.transports.Console({ stderrLevels: [...LOG_LEVELS] })],
});

/** Applies `--log-format` / `--log-level` to the shared logger. */
export function configureLogger(opts: LoggerOptions): void {
  const format = opts.format ?? (process.stderr.isTTY ? 'text' : 'json');
  logger.format = formatFor(format);
  logger.level = opts.level ?? 'info';
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
