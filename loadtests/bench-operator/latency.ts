/**
 * Reconcile latency of the changed policies: from the exporter's change, from the moment the new
 * value is visible in Prometheus (polled), and, for Plimsoll, from the moment the operator read it
 * (the proxy saw the answer), to the scale write seen on a watch of the namespace's Deployments.
 */
import * as k8s from '@kubernetes/client-node';
import { latencySummary, type LatencySummary } from './figures.js';
import { SIGNAL_METRIC } from './exporter.js';

export interface Change { deployment: string; series: string; toReplicas: number; newLoad: number }
export interface ChangeTimes { changedMs: number; visibleMs?: number; readMs?: number; writtenMs?: number }
export interface LatencyReport {
  changes: number;
  scaled: number;
  fromExporterSeconds: LatencySummary;
  fromVisibleSeconds: LatencySummary;
  /** Plimsoll only: from the operator's read of the new value (its own reconcile). */
  fromReadSeconds: LatencySummary | null;
  notScaled: string[];
}

/** Pure: the summaries over the recorded times. */
export function summariseLatency(changes: Change[], times: Map<string, ChangeTimes>, withRead: boolean): LatencyReport {
  const since = (pick: (t: ChangeTimes) => number | undefined) => changes.flatMap((c) => {
    const t = times.get(c.deployment);
    const from = t && pick(t);
    return t?.writtenMs !== undefined && from !== undefined ? [Math.max(0, t.writtenMs - from) / 1000] : [];
  });
  const notScaled = changes.filter((c) => times.get(c.deployment)?.writtenMs === undefined).map((c) => c.deployment);
  return {
    changes: changes.length,
    scaled: changes.length - notScaled.length,
    fromExporterSeconds: latencySummary(since((t) => t.changedMs)),
    fromVisibleSeconds: latencySummary(since((t) => t.visibleMs)),
    fromReadSeconds: withRead ? latencySummary(since((t) => t.readMs)) : null,
    notScaled,
  };
}

/** The series label of a bench query, e.g. p-007 from ...{job="bench",policy="p-007",signal="load"}. */
export const seriesOfQuery = (query: string) => /policy="([^"]+)"/.exec(query)?.[1];

export class LatencyTracker {
  readonly times = new Map<string, ChangeTimes>();
  private readonly bySeries = new Map<string, Change>();
  private request: { abort(): void } | undefined;
  private stopped = false;
  private poller: NodeJS.Timeout | undefined;

  constructor(private readonly kc: k8s.KubeConfig, private readonly namespace: string, private readonly prometheus: string, private readonly changes: Change[]) {
    for (const c of changes) this.bySeries.set(c.series, c);
  }

  /** Watches the namespace's Deployments; call before changing the signals. */
  async start(): Promise<void> {
    const watch = new k8s.Watch(this.kc);
    const begin = async (): Promise<void> => {
      if (this.stopped) return;
      this.request = await watch.watch(`/apis/apps/v1/namespaces/${this.namespace}/deployments`, {}, (phase, obj: k8s.V1Deployment) => {
        const name = obj.metadata?.name;
        const t = name ? this.times.get(name) : undefined;
        const change = name ? this.changes.find((c) => c.deployment === name) : undefined;
        if (t && change && t.writtenMs === undefined && obj.spec?.replicas === change.toReplicas) t.writtenMs = Date.now();
      }, () => { void begin().catch(() => undefined); }); // watches end (server timeout): start again
    };
    await begin();
  }

  /** The exporter changed the signals now: start the clock and poll Prometheus until each change is visible. */
  changed(): void {
    const now = Date.now();
    for (const c of this.changes) this.times.set(c.deployment, { changedMs: now });
    const pollOnce = async () => {
      const waiting = this.changes.filter((c) => this.times.get(c.deployment)!.visibleMs === undefined);
      if (waiting.length === 0) return clearInterval(this.poller);
      const query = `${SIGNAL_METRIC}{job="bench",signal="load",policy=~"${waiting.map((c) => c.series).join('|')}"}`;
      try {
        const res = await fetch(`${this.prometheus}/api/v1/query?query=${encodeURIComponent(query)}`, { signal: AbortSignal.timeout(2000) });
        const body = (await res.json()) as { data?: { result?: Array<{ metric: { policy?: string }; value: [number, string] }> } };
        const at = Date.now();
        for (const r of body.data?.result ?? []) {
          const change = this.bySeries.get(r.metric.policy ?? '');
          const t = change && this.times.get(change.deployment);
          if (t && t.visibleMs === undefined && Number(r.value[1]) === change.newLoad) t.visibleMs = at;
        }
      } catch { /* the next poll tries again */ }
    };
    this.poller = setInterval(() => void pollOnce(), 250);
  }

  /** The proxy saw an answer to the operator: the first one with the new value is its read. */
  answered(query: string, value: number, atMs: number): void {
    const series = seriesOfQuery(query);
    const change = series ? this.bySeries.get(series) : undefined;
    const t = change && this.times.get(change.deployment);
    if (t && t.readMs === undefined && query.includes('signal="load"') && value === change.newLoad) t.readMs = atMs;
  }

  allScaled(): boolean {
    return this.changes.every((c) => this.times.get(c.deployment)?.writtenMs !== undefined);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.poller);
    this.request?.abort();
  }
}
