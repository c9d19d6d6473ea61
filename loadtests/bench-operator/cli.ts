/**
 * make bench-operator (issue 17): the Plimsoll operator governing N kwok Deployments through N
 * policies whose signals the real Prometheus serves, in steady state and when some signals change;
 * then, with --keda, KEDA's operator with N equivalent ScaledObjects the same way. Prints the
 * figures and writes out/bench-operator/<timestamp>/ (report.json, report.txt, chart.svg, the
 * operator's log). Everything it made is removed at the end, on Ctrl-C too.
 *
 *   node --import tsx loadtests/bench-operator/cli.ts [--policies 500] [--steady-minutes 30]
 *     [--changing 50] [--health-fleet 50] [--keda] [--settle-seconds 60] [--workers 16] [--runtime compiled|tsx]
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { renderChart } from './chart.js';
import { kedaHooks, plimsollHooks } from './contenders.js';
import { BenchError } from './errors.js';
import { SignalExporter } from './exporter.js';
import { REPO_ROOT } from './fleet.js';
import { kedaDown, kedaRunning, kedaUnavailable, kedaUp } from './keda.js';
import { compileOperator } from './operator-process.js';
import { parseOptions, type BenchOptions } from './options.js';
import { runPhase, type ContenderHooks, type PhaseResult } from './phase.js';
import { PrometheusProxy } from './prom-proxy.js';
import { contenderReport, goals, kedaRatio, renderText, type BenchReport } from './report.js';

const exec = promisify(execFile);
const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
const TARGET_FILE = join(REPO_ROOT, '.local', 'prometheus', 'targets', 'bench-operator.json');

async function runCleanups(cleanups: Array<() => Promise<void>>): Promise<void> {
  while (cleanups.length) {
    try {
      await cleanups.pop()!();
    } catch (err) {
      log(`  cleanup step failed: ${(err as Error).message}`);
    }
  }
}

async function preflight(options: BenchOptions, kubeconfig: string): Promise<void> {
  const ready = await fetch(`${options.prometheus}/-/ready`, { signal: AbortSignal.timeout(3000) }).then((r) => r.ok, () => false);
  if (!ready) throw new BenchError('NOT_READY', `Prometheus at ${options.prometheus} is not ready: make services`);
  if (!existsSync(kubeconfig)) throw new BenchError('NOT_READY', `${kubeconfig} does not exist: make cluster`);
  // The CRDs as committed (idempotent; the operator needs the ScalingPolicy CRD the tree defines).
  await exec('kubectl', ['apply', '--server-side', '--force-conflicts', '--field-manager=plimsoll-bench', '-f', join(REPO_ROOT, 'crds')], { env: { ...process.env, KUBECONFIG: kubeconfig } })
    .catch((err: Error) => { throw new BenchError('NOT_READY', `kubectl apply crds/ failed (is the cluster up? make cluster): ${err.message}`); });
  await exec('kubectl', ['wait', '--for=condition=Established', '--timeout=60s', 'crd/scalingpolicies.plimsoll.dev'], { env: { ...process.env, KUBECONFIG: kubeconfig } });
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const kubeconfig = resolve(REPO_ROOT, options.kubeconfig);
  const startedAt = new Date().toISOString();
  const outDir = resolve(REPO_ROOT, options.out, startedAt.replace(/[:.]/g, '-'));
  mkdirSync(outDir, { recursive: true });
  const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const loadStart = loadavg();
  log(`bench-operator: ${options.policies} policies, ${options.steadyMinutes} min steady, ${options.changing} changing, health fleet ${options.healthFleet}${options.keda ? ', then KEDA' : ''}; load average ${loadStart.map((l) => l.toFixed(2)).join(' ')}; out ${outDir}`);
  await preflight(options, kubeconfig);

  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    log('interrupted: cleaning up (Ctrl-C again to leave everything as it is)');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const admin = new k8s.KubeConfig();
  admin.loadFromFile(kubeconfig);
  const global: Array<() => Promise<void>> = [];
  const phases: Array<{ result: PhaseResult; processes: string[] }> = [];
  const notes: string[] = [];
  let kedaNotRun: string | undefined = options.keda ? undefined : 'not asked for (--keda)';
  try {
    const exporter = new SignalExporter();
    const exporterPort = await exporter.start();
    global.push(() => exporter.stop());
    writeFileSync(TARGET_FILE, JSON.stringify([{ targets: [`127.0.0.1:${exporterPort}`], labels: {} }]));
    global.push(async () => rmSync(TARGET_FILE, { force: true }));
    const proxy = new PrometheusProxy(new URL(options.prometheus));
    const proxyUrl = await proxy.start();
    global.push(() => proxy.stop());
    log(`exporter http://127.0.0.1:${exporterPort}/metrics (Prometheus job "bench"), Prometheus proxy ${proxyUrl}`);

    const phase = async (hooks: ContenderHooks) => {
      const cleanups: Array<() => Promise<void>> = [];
      try {
        const result = await runPhase(hooks, options, exporter, admin, log, abort.signal, cleanups);
        phases.push({ result, processes: Object.keys(hooks.processes()) });
      } finally {
        await runCleanups(cleanups);
      }
    };

    let compiledEntry: string | undefined;
    if (options.runtime === 'compiled') {
      log('compiling the operator (tsc -p tsconfig.build.json, as its image is built)');
      const dist = join(outDir, 'dist');
      global.push(async () => rmSync(dist, { recursive: true, force: true }));
      compiledEntry = await compileOperator(dist);
    }
    await phase(plimsollHooks({
      namespace: 'plimsoll-bench', prometheus: options.prometheus, proxy, proxyUrl, exporterUrl: `http://127.0.0.1:${exporterPort}`,
      healthFleet: options.healthFleet, workers: options.workers, logFile: join(outDir, 'operator.log'), compiledEntry, nodeOptions: options.nodeOptions,
    }));
    if (options.nodeOptions) notes.push(`operator NODE_OPTIONS: ${options.nodeOptions}`);
    notes.push(`health reads served by the exporter: ${exporter.healthReads}`);

    if (options.keda && !abort.signal.aborted) {
      kedaNotRun = kedaUnavailable();
      if (!kedaNotRun) {
        const startedHere = !kedaRunning();
        if (startedHere) {
          await kedaUp(log);
          global.push(() => kedaDown(log));
        }
        // KEDA's scalers run in its pod: Prometheus is 127.0.0.1:19090 there too (the pod gateway relays it).
        await phase(kedaHooks({ namespace: 'plimsoll-bench-keda', prometheus: options.prometheus }));
        if (startedHere) { await runCleanups(global.splice(global.length - 1, 1)); }
      } else {
        log(`KEDA phase skipped: ${kedaNotRun}`);
      }
    }
  } finally {
    await runCleanups(global);
  }

  const contenders = phases.map((p) => contenderReport(p.result, p.processes, ticksPerSecond));
  const plimsoll = contenders.find((c) => c.contender === 'plimsoll');
  const keda = contenders.find((c) => c.contender === 'keda');
  if (abort.signal.aborted) notes.push('interrupted: the windows are shorter than asked');
  const report: BenchReport = {
    startedAt,
    command: `loadtests/bench-operator/cli.ts ${process.argv.slice(2).join(' ')}`.trim(),
    options: { ...options },
    loadAverage: { start: loadStart, end: loadavg() },
    cores: availableParallelism(),
    contenders,
    goals: plimsoll ? goals(plimsoll) : [],
    kedaRatio: plimsoll && keda ? kedaRatio(plimsoll, keda) : { notRun: kedaNotRun ?? 'the KEDA phase did not finish' },
    notes,
  };
  const text = renderText(report);
  writeFileSync(join(outDir, 'report.json'), JSON.stringify({ ...report, samples: Object.fromEntries(phases.map((p) => [p.result.contender, p.result.samples])) }, null, 1));
  writeFileSync(join(outDir, 'report.txt'), text);
  writeFileSync(join(outDir, 'chart.svg'), renderChart(phases.map((p) => ({ contender: p.result.contender, processes: p.processes, samples: p.result.samples, windows: p.result.windows })), ticksPerSecond));
  console.log(`\n${text}\nwritten: ${outDir}/report.json, report.txt, chart.svg`);
}

main().catch((err: unknown) => {
  const code = err instanceof BenchError ? err.code : 'FAILED';
  console.error(`bench-operator: ${code}: ${(err as Error).stack ?? String(err)}`);
  process.exit(err instanceof BenchError && err.code === 'USAGE' ? 2 : 1);
});
