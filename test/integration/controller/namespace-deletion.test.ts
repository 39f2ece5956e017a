import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import winston from 'winston';
import { waitFor } from '../../../src/cluster/health.js';
import type { OperatorManager } from '../../../src/controller/manager.js';
import { logger } from '../../../src/log/logger.js';
import { iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';

const note = (line: string) => process.stderr.write(`      [namespace-deletion] ${line}\n`);

interface LogLine {
  level: string;
  message: string;
  [field: string]: unknown;
}

/** Records what the operator logs, info and up, until `stop()`. */
function captureLogs(): { lines: LogLine[]; stop(): void } {
  const lines: LogLine[] = [];
  const sink = new winston.transports.Stream({
    stream: new Writable({
      objectMode: true,
      write(info: LogLine, _enc, done) {
        lines.push({ ...info });
        done();
      },
    }),
  });
  // Info lines count here, whatever level an earlier test left behind.
  const level = logger.level;
  if (level !== 'debug') logger.level = 'info';
  logger.add(sink);
  return {
    lines,
    stop: () => {
      logger.remove(sink);
      logger.level = level;
    },
  };
}

const mentionsTermination = (l: LogLine) => /terminat/i.test(JSON.stringify(l));

describe('namespace deletion: a namespace being terminated is waited for quietly', function () {
  let env: OperatorEnv;
  let manager: OperatorManager;
  let home: string;
  let doomed: string;
  let doomedWithIop: string;
  const NAME = 'cp';

  const namespaceGone = (ns: string) =>
    waitFor(
      `namespace ${ns} gone`,
      async () =>
        !(await env.exists({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })),
      90_000,
      undefined,
      200,
    );
  const healthy = (ns: string) =>
    waitFor(
      `${ns}/${NAME} HEALTHY`,
      async () => (await env.getIop(ns, NAME)).status?.status === 'HEALTHY',
      60_000,
      undefined,
      200,
    );
  const deleteNamespace = (ns: string) =>
    env.client.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });

  before(async function () {
    this.timeout(30 * 60_000);
    env = await operatorEnv();
    home = await env.namespace('nsdel-home');
    doomed = await env.namespace('nsdel-target');
    doomedWithIop = await env.namespace('nsdel-both');
    manager = await env.startOperator([home, doomedWithIop]);
  });

  after(async function () {
    this.timeout(120_000);
    await env.client.delete(iopRef(home, NAME)).catch(() => undefined);
    await env.uninstalled(home, NAME).catch(() => undefined);
    await manager?.stop();
    for (const ns of [home, doomed, doomedWithIop])
      await deleteNamespace(ns).catch(() => undefined);
  });

  it('the namespace it installs into is deleted: no warnings, one info line, status says what it waits for', async function () {
    this.timeout(180_000);
    await env.client.apply({
      ...iopRef(home, NAME),
      spec: { profile: 'minimal', namespace: doomed },
    });
    await healthy(home);
    const logs = captureLogs();
    const messages = new Set<string>();
    let polling = true;
    const poll = (async () => {
      while (polling) {
        messages.add((await env.getIop(home, NAME)).status?.message ?? '');
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      await deleteNamespace(doomed);
      await namespaceGone(doomed);
      // Reconciles that began while it terminated end soon after.
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      polling = false;
      await poll;
      logs.stop();
    }
    const warnings = logs.lines.filter((l) => l.level !== 'info' && l.level !== 'debug');
    const aboutTermination = logs.lines.filter(mentionsTermination);
    note(
      `${logs.lines.length} log lines while ${doomed} was deleted: ` +
        `${warnings.filter(mentionsTermination).length} warnings about its termination, ` +
        `${aboutTermination.filter((l) => l.level === 'info').length} info`,
    );
    assert.deepEqual(
      warnings.filter(mentionsTermination).map((l) => l.message),
      [],
      'warnings about the terminating namespace',
    );
    assert.equal(
      aboutTermination.filter((l) => l.level === 'info').length,
      1,
      `info lines about the terminating namespace: ${JSON.stringify(aboutTermination)}`,
    );
    assert.ok(
      [...messages].some((m) => m.includes(`namespace ${doomed} to finish terminating`)),
      `status while it terminated: ${[...messages].join(' | ')}`,
    );
    const failed = (
      await env.client.list<k8s.CoreV1Event>(
        { apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true },
        home,
      )
    ).filter(
      (e) =>
        e.involvedObject.name === NAME && e.type === 'Warning' && /terminat/.test(e.message ?? ''),
    );
    assert.deepEqual(
      failed.map((e) => e.message),
      [],
      'Warning Events about the terminating namespace',
    );
    // With its namespace gone it fails for good (namespace not found, with
    // backoff): uninstall it so that its warnings stay out of the next test.
    await env.client.delete(iopRef(home, NAME));
    await env.uninstalled(home, NAME);
  });

  it('the namespace holding the IstioOperator and its installation is deleted: it uninstalls without warnings', async function () {
    this.timeout(180_000);
    await env.client.apply({
      ...iopRef(doomedWithIop, NAME),
      spec: { profile: 'minimal', namespace: doomedWithIop },
    });
    await healthy(doomedWithIop);
    const logs = captureLogs();
    try {
      await deleteNamespace(doomedWithIop);
      await namespaceGone(doomedWithIop);
    } finally {
      logs.stop();
    }
    const warnings = logs.lines.filter((l) => l.level !== 'info' && l.level !== 'debug');
    note(`${warnings.length} warnings while ${doomedWithIop} was deleted with its IstioOperator`);
    assert.deepEqual(
      warnings.map((l) => `${l.message} ${JSON.stringify(l.error ?? '')}`),
      [],
    );
    assert.ok(
      logs.lines.some((l) => l.message === 'uninstalled; finalizer removed'),
      'the IstioOperator was uninstalled by its finalizer',
    );
  });
});
