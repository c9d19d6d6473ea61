/**
 * Prometheus stopped for `prometheusOutageSeconds` (SIGTERM to the stack's instance), then
 * `make services`' start script starts it again. The policy's Prometheus signals fail: the
 * operator must hold the fleet (fallback ScaleUpOnly) and keep the budget, then recover.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../compare/kube.js';
import type { FaultCase } from './types.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let freshBefore: string[] = [];
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

export const prometheusStop: FaultCase = {
  name: 'prometheus-stop',
  title: 'Prometheus stopped for 2 minutes',
  async prepare(ctx) {
    // Some signals are missing in steady state (a provider's latency without calls): recovered
    // means fresh again what was fresh before.
    freshBefore = (await ctx.cluster.policy())?.freshSignals ?? [];
  },
  async inject(ctx) {
    const root = ctx.options.root;
    const pid = Number((await readFile(join(root, '.local/prometheus/prometheus.pid'), 'utf8')).trim());
    ctx.mark('Prometheus SIGTERM');
    process.kill(pid, 'SIGTERM');
    while (alive(pid)) await sleep(100);
    await sleep(ctx.options.prometheusOutageSeconds * 1000);
    ctx.mark('Prometheus start');
    const up = await runCommand('bash', [join(root, 'tools/services/up.sh')]);
    if (up.code !== 0) throw new Error(`tools/services/up.sh failed: ${up.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  },
  recovered(s) {
    const stale = freshBefore.filter((name) => !s.policy?.freshSignals.includes(name));
    return stale.length === 0 ? [] : [`signals not fresh: ${stale.join(', ')}`];
  },
  restore: async () => undefined,
};
