/**
 * The egress proxy as a process of its own, started by `cluster up` beside
 * kube-apiserver (see egress.ts): it must outlive the command that started
 * the control plane. Arguments: `--dir D --socket S --server URL`; the admin
 * client certificate is read from `D/pki`.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { listServicesOf, startEgressProxy } from './egress.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    socket: { type: 'string' },
    server: { type: 'string' },
  },
});
if (!values.dir || !values.socket || !values.server) {
  process.stderr.write('usage: egress-main --dir D --socket S --server URL\n');
  process.exit(2);
}
const dir = values.dir;
const socket = values.socket;
const pki = join(dir, 'pki');
rmSync(socket, { force: true });
const server = await startEgressProxy({
  dir,
  socket,
  listServices: listServicesOf({
    server: values.server,
    ca: join(pki, 'serving-ca.crt'),
    cert: join(pki, 'admin.crt'),
    key: join(pki, 'admin.key'),
  }),
  log: (entry) =>
    process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...entry }) + '\n'),
});
process.stdout.write(
  JSON.stringify({ time: new Date().toISOString(), listening: socket, pid: process.pid }) + '\n',
);
const stop = () => {
  server.close();
  rmSync(socket, { force: true });
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
