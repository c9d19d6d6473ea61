/**
 * `make chaos` (issue 14): the operator's faults under closed-loop load on the running stack,
 * PgBouncer's real client connections of the matcher's database sampled every 200 ms against the
 * budget. The stack's operator is replaced for the run by two operator processes in leader
 * election (a follower for every case), given back at the end. Prints a table and writes
 * out/chaos/<timestamp>/{report.json,chaos.txt,chaos.html}.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { runCommand } from '../compare/kube.js';
import { budgetFigures } from '../load/connections.js';
import { timestamp } from '../load/run.js';
import { runCase, type CaseResult } from './case-runner.js';
import { Cluster } from './cluster.js';
import { apiserverRestart } from './faults/apiserver-restart.js';
import { leaderKill } from './faults/leader-kill.js';
import { policyRecreate } from './faults/policy-recreate.js';
import { prometheusStop } from './faults/prometheus-stop.js';
import { rollout } from './faults/rollout.js';
import { scaleIn } from './faults/scale-in.js';
import type { FaultCase } from './faults/types.js';
import { catalog } from './load.js';
import { OperatorFleet } from './operator-fleet.js';
import { parseChaosArgs, usage, type CaseName } from './options.js';
import { renderHtml, renderTable } from './render.js';

const CASES: Record<CaseName, FaultCase> = {
  'scale-in': scaleIn, rollout, 'policy-recreate': policyRecreate, 'leader-kill': leaderKill,
  'apiserver-restart': apiserverRestart, 'prometheus-stop': prometheusStop,
};

const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

async function main(): Promise<number> {
  const root = resolve(new URL('../..', import.meta.url).pathname);
  const o = parseChaosArgs(process.argv.slice(2), root);
  if (o === 'help') {
    process.stdout.write(usage);
    return 0;
  }
  const cluster = new Cluster({ root, kubeconfig: o.kubeconfig, runnerStatusUrl: o.runnerStatusUrl, policyFile: o.policyFile });
  const policy = await cluster.stackPolicy();
  const budget = budgetFigures(policy.spec.connectionBudget, 0).pools;
  const startedAt = new Date();
  const dir = join(o.outDir, timestamp(startedAt));
  await mkdir(dir, { recursive: true });
  log(`make chaos: ${o.cases.join(', ')}; budget ${budget} connections (${policy.spec.connectionBudget.maxConnections} − ${policy.spec.connectionBudget.reserved} reserved); report in ${dir}`);
  const tenants = await catalog({ target: o.target, keysFile: o.keysFile, users: o.users, thinkTimeSeconds: o.thinkSeconds, timeoutSeconds: o.timeoutSeconds, analysisShare: o.analysisShare });

  // The stack's operator hands the Lease back (SIGTERM); two of ours take over for the run.
  log('replacing the stack\'s operator by two chaos operators (leader + follower)');
  const stop = await runCommand('bash', [join(root, 'tools/stack/operator.sh'), 'stop']);
  if (stop.code !== 0) throw new Error(`tools/stack/operator.sh stop failed: ${stop.stderr.trim()}`);
  const fleet = new OperatorFleet({ root, kubeconfig: o.operatorKubeconfig, ports: o.operatorPorts, logDir: join(root, '.local/logs'), log });
  fleet.start();
  const results: CaseResult[] = [];
  const interrupted = new AbortController();
  process.once('SIGINT', () => { log('SIGINT: finishing the running case, then restoring the stack'); interrupted.abort(); });
  try {
    await fleet.ready(90_000);
    // A stack operator that died without handing the Lease back holds it until it expires.
    const since = Date.now();
    while (!fleet.identities().includes((await cluster.leaseHolder()) ?? '')) {
      if (Date.now() - since > 180_000) throw new Error('no chaos operator took the Lease within 180 s');
      await new Promise((r) => setTimeout(r, 500));
    }
    log(`${await cluster.leaseHolder()} leads (after ${((Date.now() - since) / 1000).toFixed(1)} s)`);
    for (const [i, name] of o.cases.entries()) {
      if (interrupted.signal.aborted) break;
      log(`── ${i + 1}/${o.cases.length} ${name}`);
      const result = await runCase(CASES[name], { cluster, fleet, options: o, tenants, budget, log, seed: 1400 + i });
      results.push(result);
      // Written after every case, so an interrupted run keeps what it measured.
      await writeFile(join(dir, 'report.json'), JSON.stringify({ version: 1, startedAt: startedAt.toISOString(), budget, options: { ...o, pgbouncer: '(the stack\'s admin console)' }, cases: results }, null, 2) + '\n');
    }
  } finally {
    log('giving the stack its operator back');
    await fleet.stop();
    const start = await runCommand('bash', [join(root, 'tools/stack/operator.sh'), 'start']);
    if (start.code !== 0) log(`tools/stack/operator.sh start failed: ${start.stderr.trim()}; run make up`);
  }
  const table = renderTable(results, budget);
  await writeFile(join(dir, 'chaos.txt'), table);
  await writeFile(join(dir, 'chaos.html'), renderHtml(results, budget, { startedAt: startedAt.toISOString(), options: { ...o, pgbouncer: undefined } }));
  process.stdout.write(`\n${table}\nreport: ${dir}/chaos.html\n        ${dir}/report.json\n`);
  return results.some((r) => r.connections.violations.length > 0 || r.writes.doubleWrites.length > 0 || r.events.afterKill.length > 0) ? 2 : 0;
}

main().then((code) => process.exit(code), (error: unknown) => {
  log(`make chaos failed: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
