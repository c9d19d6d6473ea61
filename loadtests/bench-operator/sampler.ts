/**
 * Every 5 s: each measured process's RSS and CPU ticks from /proc, and the figures the probes
 * scrape (the operator's /metrics, Prometheus's own, the proxy's count). A failed probe leaves
 * its figures out of that sample; the summary works on whatever samples carry them.
 */
import { readFile } from 'node:fs/promises';
import { cpuTicks, rssBytes } from './figures.js';

export interface ProcessReading { rss: number; ticks: number }
export interface Sample { atMs: number; processes: Record<string, ProcessReading>; values: Record<string, number> }
/** One scrape, giving several named figures. */
export type Probe = () => Promise<Record<string, number>>;

export async function readProcess(pid: number): Promise<ProcessReading | undefined> {
  try {
    const [status, stat] = await Promise.all([readFile(`/proc/${pid}/status`, 'utf8'), readFile(`/proc/${pid}/stat`, 'utf8')]);
    const rss = rssBytes(status);
    const ticks = cpuTicks(stat);
    return rss === undefined || ticks === undefined ? undefined : { rss, ticks };
  } catch {
    return undefined; // the process is gone
  }
}

export class Sampler {
  readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  probeFailures = 0;

  constructor(private readonly processes: Record<string, number>, private readonly probes: Probe[], private readonly intervalMs = 5000) {}

  start(): void {
    this.inFlight = this.sample();
    this.timer = setInterval(() => { this.inFlight = this.sample(); }, this.intervalMs);
  }

  /** Takes one last sample, so a phase's end is measured too. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await this.inFlight;
    await this.sample();
  }

  async sample(): Promise<void> {
    const atMs = Date.now();
    const processes: Record<string, ProcessReading> = {};
    await Promise.all(Object.entries(this.processes).map(async ([name, pid]) => {
      const r = await readProcess(pid);
      if (r) processes[name] = r;
    }));
    const values: Record<string, number> = {};
    await Promise.all(this.probes.map(async (probe) => {
      try {
        Object.assign(values, await probe());
      } catch {
        this.probeFailures++;
      }
    }));
    this.samples.push({ atMs, processes, values });
  }
}

export async function fetchText(url: string, timeoutMs = 3000): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.text();
}
