/**
 * make bench-operator (issue 17): the Plimsoll operator governing N kwok Deployments through N
 * policies whose signals the real Prometheus serves, in steady state and when some signals change;
 * then, with --keda, KEDA's operator with N equivalent ScaledObjects the same way. Prints the
 * figures and writes out/bench-operator/<timestamp>/ (report.json, report.txt, chart.svg, the
 * operator's log). Everything it made is removed at the end, on Ctrl-C too.
 *
 *   node --import tsx loadtests/bench-operator/cli.ts [--policies 500] [--steady-minutes 30]
 *     [--changing 50] [--health-fleet 50] [--keda] [--settle-seconds 60] [--workers 16] [--runtime compiled|tsx]
 *     [--prometheus-port 0] [--scrape-seconds 5] [--prometheus-max-connections 4096] [--keda-api-qps 100]
 *     [--skip-plimsoll --plimsoll-report out/bench-operator/<earlier run>/report.json]
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { ensureBenchNodes, removeBenchNodes } from './bench-nodes.js';
import { renderChart } from './chart.js';
import { kedaHooks, plimsollHooks } from './contenders.js';
import { BenchError } from './errors.js';
import { SignalExporter } from './exporter.js';
import { REPO_ROOT } from './fleet.js';
import { kedaDown, kedaRunning, kedaUnavailable, kedaUp } from './keda.js';
import { compileOperator, freePort } from './operator-process.js';
import { parseOptions, type BenchOptions } from './options.js';
import { runPhase, type ContenderHooks, type PhaseResult } from './phase.js';
import { POD_NETNS, PodRoute, podLoopbackPorts } from './pod-route.js';
import { PrivatePrometheus } from './private-prometheus.js';
import { PrometheusProxy } from './prom-proxy.js';
import { MAX_REPLICAS } from './specs.js';
import { contenderReport, goals, kedaRatio, renderText, type BenchReport, type ContenderReport } from './report.js';

const exec = promisify(execFile);
const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
const BENCH_LOCAL = join(REPO_ROOT, '.local', 'bench-operator');

async function runCleanups(cleanups: Array<() => Promise<void>>): Promise<void> {
  while (cleanups.length) {
    try {
      await cleanups.pop()!();
    } catch (err) {
      log(`  cleanup step failed: ${(err as Error).message}`);
    }
  }
}

/**
 * The benchmark's Prometheus port: the one asked for, or a free one on 127.0.0.1 that is free
 * inside the pod network namespace too (KEDA's pods reach it there on the same port).
 */
async function prometheusPort(options: BenchOptions): Promise<number> {
  if (options.prometheusPort) return options.prometheusPort;
  const taken = (() => { try { return podLoopbackPorts(); } catch { return new Set<number>(); } })();
  for (;;) {
    const port = await freePort();
    if (!taken.has(port)) return port;
  }
}

async function preflight(kubeconfig: string): Promise<void> {
  if (!existsSync(kubeconfig)) throw new BenchError('NOT_READY', `${kubeconfig} does not exist: make cluster`);
  // The CRDs as committed (idempotent; the operator needs the ScalingPolicy CRD the tree defines).
  await exec('kubectl', ['apply', '--server-side', '--force-conflicts', '--field-manager=plimsoll-bench', '-f', join(REPO_ROOT, 'crds')], { env: { ...process.env, KUBECONFIG: kubeconfig } })
    .catch((err: Error) => { throw new BenchError('NOT_READY', `kubectl apply crds/ failed (is the cluster up? make cluster): ${err.message}`); });
  await exec('kubectl', ['wait', '--for=condition=Established', '--timeout=60s', 'crd/scalingpolicies.plimsoll.dev'], { env: { ...process.env, KUBECONFIG: kubeconfig } });
}

/** Plimsoll's figures from an earlier run's report.json (--skip-plimsoll --plimsoll-report), said to be so. */
function earlierPlimsoll(path: string): ContenderReport {
  const earlier = JSON.parse(readFileSync(resolve(REPO_ROOT, path), 'utf8')) as BenchReport;
  const plimsoll = earlier.contenders.find((c) => c.contender === 'plimsoll');
  if (!plimsoll) throw new BenchError('USAGE', `${path} has no Plimsoll phase`);
  return { ...plimsoll, notes: [...plimsoll.notes, `these Plimsoll figures are from ${path} (run of ${earlier.startedAt}: ${earlier.command}), not from this run`] };
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
  await preflight(kubeconfig);

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
    global.push(() => removeBenchNodes(admin));
    await ensureBenchNodes(admin, options.policies * MAX_REPLICAS, log);
    const exporter = new SignalExporter();
    const exporterPort = await exporter.start();
    global.push(() => exporter.stop());
    // The benchmark's own Prometheus, scraping the exporter alone (private-prometheus.ts).
    const prometheus = new PrivatePrometheus(join(BENCH_LOCAL, 'prometheus'), await prometheusPort(options));
    global.push(() => prometheus.stop());
    await prometheus.start(`127.0.0.1:${exporterPort}`, options.scrapeSeconds, options.prometheusMaxConnections);
    const promContext: Record<string, number> = prometheus.pid ? { 'prometheus (bench)': prometheus.pid } : {};
    const phaseOptions = { ...options, prometheus: prometheus.url };
    notes.push(`Prometheus: the benchmark's own (${prometheus.url}, Debian's prometheus binary, data in .local/bench-operator/prometheus), scraping only the exporter every ${options.scrapeSeconds} s, --web.max-connections=${options.prometheusMaxConnections}`);
    const proxy = new PrometheusProxy(new URL(prometheus.url));
    const proxyUrl = await proxy.start();
    global.push(() => proxy.stop());
    log(`exporter http://127.0.0.1:${exporterPort}/metrics, the benchmark's Prometheus ${prometheus.url} (job "bench", every ${options.scrapeSeconds} s), its proxy for the operator ${proxyUrl}`);

    const phase = async (hooks: ContenderHooks) => {
      const cleanups: Array<() => Promise<void>> = [];
      try {
        const result = await runPhase(hooks, phaseOptions, exporter, admin, log, abort.signal, cleanups);
        phases.push({ result, processes: Object.keys(hooks.processes()) });
      } finally {
        await runCleanups(cleanups);
      }
    };

    if (!options.skipPlimsoll) {
      let compiledEntry: string | undefined;
      if (options.runtime === 'compiled') {
        log('compiling the operator (tsc -p tsconfig.build.json, as its image is built)');
        const dist = join(outDir, 'dist');
        global.push(async () => rmSync(dist, { recursive: true, force: true }));
        compiledEntry = await compileOperator(dist);
      }
      await phase(plimsollHooks({
        namespace: 'plimsoll-bench', prometheus: prometheus.url, proxy, proxyUrl, exporterUrl: `http://127.0.0.1:${exporterPort}`,
        healthFleet: options.healthFleet, workers: options.workers, logFile: join(outDir, 'operator.log'), compiledEntry, nodeOptions: options.nodeOptions,
        context: promContext,
      }));
      if (options.nodeOptions) notes.push(`operator NODE_OPTIONS: ${options.nodeOptions}`);
      notes.push(`health reads served by the exporter: ${exporter.healthReads}`);
    }

    if (options.keda && !abort.signal.aborted) {
      kedaNotRun = kedaUnavailable();
      if (!kedaNotRun) {
        // KEDA's scalers run in its pod: the benchmark's Prometheus port is relayed into the pod
        // network namespace (pod-route.ts), so 127.0.0.1:<port> there is the same Prometheus.
        const route = new PodRoute(prometheus.port, join(BENCH_LOCAL, 'gw'), outDir);
        global.push(() => route.stop());
        await route.start();
        await route.probe('/-/ready');
        log(`KEDA's pods reach the benchmark's Prometheus at ${prometheus.url} (a route of its own into network namespace ${POD_NETNS})`);
        const startedHere = !kedaRunning();
        if (!startedHere) notes.push('KEDA was already running: started by someone else, with its own --kube-api-qps (--keda-api-qps not applied)');
        if (startedHere) {
          await kedaUp(log, options.kedaApiQps);
          notes.push(`KEDA operator started with --kube-api-qps=${options.kedaApiQps} --kube-api-burst=${options.kedaApiQps * 2} (KEDA's default: 20, 30)`);
          global.push(() => kedaDown(log));
        }
        await phase(kedaHooks({ namespace: 'plimsoll-bench-keda', prometheus: prometheus.url, context: { ...promContext, ...route.pids } }));
        if (startedHere) { await runCleanups(global.splice(global.length - 1, 1)); }
      } else {
        log(`KEDA phase skipped: ${kedaNotRun}`);
      }
    }
  } finally {
    await runCleanups(global);
  }

  const contenders = phases.map((p) => contenderReport(p.result, p.processes, ticksPerSecond));
  if (options.skipPlimsoll && options.plimsollReport) contenders.unshift(earlierPlimsoll(options.plimsollReport));
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
