/**
 * An apiserver restart: SIGTERM to the stack's kube-apiserver, then `make cluster`'s start script
 * starts it again on the same etcd. Longer than the renew deadline (10 s), so the leader cannot
 * renew: it must step down without writing, and the fleet restarts it, as a kubelet would.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../compare/kube.js';
import { round } from '../report.js';
import type { FaultCase } from './types.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

export const apiserverRestart: FaultCase = {
  name: 'apiserver-restart',
  title: 'an apiserver restart',
  prepare: async () => undefined,
  async inject(ctx) {
    const root = ctx.options.root;
    const pid = Number((await readFile(join(root, '.local/run/kube-apiserver.pid'), 'utf8')).trim());
    ctx.mark('apiserver SIGTERM');
    process.kill(pid, 'SIGTERM');
    while (alive(pid)) await sleep(100);
    const down = ctx.clock();
    ctx.mark('apiserver down');
    const up = await runCommand('bash', [join(root, 'tools/cluster/up.sh')]);
    if (up.code !== 0) throw new Error(`tools/cluster/up.sh failed: ${up.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    ctx.mark('apiserver ready');
    ctx.details.apiserverDownSeconds = round(ctx.clock() - down);
  },
  restore: async () => undefined,
};
