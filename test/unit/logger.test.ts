import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import winston from 'winston';
import { configureLogger, logger, parseLogFormat, parseLogLevel } from '../../src/log/logger.js';

function capture(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString().trimEnd());
      cb();
    },
  });
  const transport = new winston.transports.Stream({ stream });
  const saved = logger.transports.slice();
  saved.forEach((t) => logger.remove(t));
  logger.add(transport);
  return {
    lines,
    restore: () => {
      logger.remove(transport);
      saved.forEach((t) => logger.add(t));
      configureLogger({ format: 'text', level: 'info' });
    },
  };
}

describe('logger', () => {
  it('writes one JSON object per line with structured fields in json format', () => {
    const c = capture();
    try {
      configureLogger({ format: 'json', level: 'info' });
      logger.info('reconciled', { iop: 'istio-system/demo', reconcileID: 'r1' });
      assert.equal(c.lines.length, 1);
      const rec = JSON.parse(c.lines[0]!) as Record<string, unknown>;
      assert.equal(rec.message, 'reconciled');
      assert.equal(rec.iop, 'istio-system/demo');
      assert.equal(rec.level, 'info');
      assert.ok(typeof rec.timestamp === 'string');
    } finally {
      c.restore();
    }
  });

  it('writes key=value text in text format and honours the level', () => {
    const c = capture();
    try {
      configureLogger({ format: 'text', level: 'warn' });
      logger.info('hidden');
      logger.warn('shown', { iop: 'ns/a' });
      assert.equal(c.lines.length, 1);
      assert.match(c.lines[0]!, /warn\s+shown iop=ns\/a$/);
    } finally {
      c.restore();
    }
  });

  it('names the accepted values when a flag is wrong', () => {
    assert.equal(parseLogFormat('json'), 'json');
    assert.equal(parseLogLevel('debug'), 'debug');
    assert.throws(
      () => parseLogFormat('xml'),
      /--log-format: "xml" is not a log format \(use json or text\)/,
    );
    assert.throws(() => parseLogLevel('loud'), /use error, warn, info, debug/);
  });
});
