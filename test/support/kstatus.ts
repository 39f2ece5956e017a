import { spawn } from 'node:child_process';
import { ensureBinaries } from '../../src/cluster/binaries.js';

/** What sigs.k8s.io/cli-utils' kstatus (Flux's health judge) says about an object. */
export interface KstatusResult {
  status: 'InProgress' | 'Failed' | 'Current' | 'Terminating' | 'NotFound' | 'Unknown';
  message: string;
}

/** Runs the kstatus judge built from tools/kstatus on `obj`. */
export async function kstatus(obj: unknown): Promise<KstatusResult> {
  const bin = (await ensureBinaries(['kstatus'])).kstatus;
  return await new Promise((resolve, reject) => {
    const p = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as KstatusResult)
        : reject(new Error(`kstatus exited ${code}: ${err}`)),
    );
    p.stdin.end(JSON.stringify(obj));
  });
}
