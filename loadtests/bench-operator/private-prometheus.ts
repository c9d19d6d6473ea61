/**
 * The benchmark's own Prometheus: the Debian binary the local stack runs (tools/services/up.sh),
 * a second process with its own configuration and data under .local/bench-operator/prometheus,
 * on its own loopback port, scraping only the benchmark's exporter (job "bench", every 5 s). So
 * neither contender is measured against a Prometheus that other work loads, and KEDA's thousands
 * of queries a minute load no one else's. Started for the run and stopped at its end (and on
 * Ctrl-C or a failure: the run's clean-up); one left by a killed run is stopped first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchError } from './errors.js';

/** The scrape configuration: the exporter alone, as job "bench" (the policies' queries name it). */
export function prometheusConfig(exporter: string, scrapeSeconds: number): string {
  return [
    '# Written by loadtests/bench-operator (private-prometheus.ts) for one run; removed at its end.',
    'global:',
    `  scrape_interval: ${scrapeSeconds}s`,
    `  evaluation_interval: ${scrapeSeconds}s`,
    'scrape_configs:',
    '  - job_name: bench',
    '    static_configs:',
    `      - targets: ['${exporter}']`,
    '',
  ].join('\n');
}

export class PrivatePrometheus {
  private child: ChildProcess | undefined;
  private exited: Promise<unknown> | undefined;
  private readonly pidFile: string;
  private readonly config: string;

  constructor(private readonly dir: string, readonly port: number, private readonly binary = 'prometheus') {
    this.pidFile = join(dir, 'prometheus.pid');
    this.config = join(dir, 'prometheus.yml');
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Starts it scraping `exporter` (host:port) and waits until it is ready and has scraped once.
   * `maxConnections`: --web.max-connections (beyond it, connections wait to be accepted).
   */
  async start(exporter: string, scrapeSeconds: number, maxConnections: number): Promise<void> {
    this.stopLeftover();
    rmSync(join(this.dir, 'data'), { recursive: true, force: true });
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    writeFileSync(this.config, prometheusConfig(exporter, scrapeSeconds));
    const log = openSync(join(this.dir, 'prometheus.log'), 'w');
    this.child = spawn(this.binary, [
      `--config.file=${this.config}`, `--storage.tsdb.path=${join(this.dir, 'data')}`, '--storage.tsdb.retention.time=1d',
      `--web.listen-address=127.0.0.1:${this.port}`, `--web.max-connections=${maxConnections}`,
    ], { stdio: ['ignore', log, log] });
    closeSync(log);
    this.exited = new Promise((resolve) => this.child!.once('exit', resolve));
    const spawned = await new Promise<Error | undefined>((resolve) => { this.child!.once('spawn', () => resolve(undefined)); this.child!.once('error', resolve); });
    if (spawned) throw new BenchError('NOT_READY', `cannot start ${this.binary} (the Debian package prometheus: make services installs it): ${spawned.message}`);
    writeFileSync(this.pidFile, `${this.child.pid}\n`);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) break;
      if (await this.scraped()) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new BenchError('NOT_READY', `the benchmark's Prometheus on ${this.url} did not become ready and scrape the exporter within 60 s; see ${join(this.dir, 'prometheus.log')}`);
  }

  /** Ready, and the exporter's target is up. */
  private async scraped(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent('up{job="bench"}')}`, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) return false;
      const body = (await res.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
      return body.data?.result?.[0]?.value[1] === '1';
    } catch {
      return false;
    }
  }

  /** SIGTERM (Prometheus shuts down cleanly), SIGKILL after 20 s; the data goes, the log stays. */
  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) {
      this.child.kill('SIGTERM');
      const done = await Promise.race([this.exited, new Promise((r) => setTimeout(() => r('timeout'), 20_000))]);
      if (done === 'timeout') this.child.kill('SIGKILL');
    }
    rmSync(this.pidFile, { force: true });
    rmSync(join(this.dir, 'data'), { recursive: true, force: true });
  }

  /** A Prometheus left by a run that was killed (its pid file, and its command line names this configuration). */
  private stopLeftover(): void {
    try {
      const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.config)) process.kill(pid, 'SIGKILL');
    } catch {
      // None.
    }
    rmSync(this.pidFile, { force: true });
  }
}
