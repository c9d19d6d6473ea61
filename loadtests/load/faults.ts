/**
 * The scenario's fault events, applied for real where the local stack allows it:
 *   providerOutage / providerBrownout → the fake provider's admin API (POST /admin/mode), and
 *     restored to the settings read before the first change — at the event's end, and on any
 *     exit (end of run, failure, Ctrl-C) through `restoreAll`;
 *   databaseSlowdown, signalOutage → skipped, with the reason in the report: slowing the shared
 *     PostgreSQL or stopping the shared Prometheus would disturb everything else on the stack,
 *     and there is no per-run switch for either. Nothing is silently dropped.
 */
import type { ScenarioEvent } from '../../src/plimsoll/simulator/scenario.js';

export interface FaultRecord {
  type: ScenarioEvent['type'];
  /** The provider, signal source or slowdown factor the event names. */
  subject: string;
  at: number;
  durationSeconds: number;
  status: 'pending' | 'applied' | 'restored' | 'skipped' | 'failed';
  reason?: string;
  appliedAt?: number;
  restoredAt?: number;
  /** The settings sent to the provider's admin API. */
  settings?: Record<string, unknown>;
}

export const DEFAULT_PROVIDERS: Record<string, string> = {
  groq: 'http://127.0.0.1:18181',
  openai: 'http://127.0.0.1:18182',
  anthropic: 'http://127.0.0.1:18183',
};

/** Which events can be applied, and how (pure: no I/O). */
export function planFaults(events: ScenarioEvent[], providers: Record<string, string>): FaultRecord[] {
  return events.map((e): FaultRecord => {
    const window = { at: e.at, durationSeconds: e.durationSeconds };
    switch (e.type) {
      case 'providerOutage':
      case 'providerBrownout': {
        const settings = e.type === 'providerOutage'
          ? { mode: 'outage' }
          : { mode: 'brownout', brownoutLatencyFactor: e.latencyFactor, brownoutErrorRate: e.errorRatio };
        if (!providers[e.provider]) {
          return { type: e.type, subject: e.provider, ...window, status: 'skipped', reason: `no admin URL for provider "${e.provider}" (pass --provider ${e.provider}=http://host:port)` };
        }
        return { type: e.type, subject: e.provider, ...window, status: 'pending', settings };
      }
      case 'databaseSlowdown':
        return { type: e.type, subject: `×${e.factor}`, ...window, status: 'skipped', reason: 'not applied: the local stack has no switch to slow the shared PostgreSQL for one run without disturbing everything else on it' };
      case 'signalOutage':
        return { type: e.type, subject: e.source, ...window, status: 'skipped', reason: `not applied: taking the shared ${e.source} source away would blind the other users of the stack; the simulator's prediction still includes it` };
      case 'maxClientConnChange':
      case 'maxDbConnectionsChange':
      case 'rateLimitChange':
        return { type: e.type, subject: e.type === 'rateLimitChange' ? `${e.provider} ${e.requests}/${e.periodSeconds} s` : String(e.value), ...window, status: 'skipped', reason: 'not applied: changing the shared PgBouncer\'s or a provider\'s limits would change them for every user of the stack; the simulator\'s prediction still includes it' };
    }
  });
}

type Fetch = typeof fetch;

const RESTORED_FIELDS = ['mode', 'brownoutLatencyFactor', 'brownoutErrorRate'] as const;

export class FaultInjector {
  /** Each provider's settings before this run touched it. */
  private readonly original = new Map<string, Record<string, unknown>>();

  constructor(
    readonly faults: FaultRecord[],
    private readonly providers: Record<string, string>,
    private readonly log: (line: string) => void,
    private readonly http: Fetch = fetch,
  ) {}

  private active(provider: string, t: number): FaultRecord | undefined {
    return this.faults.find((f) => f.subject === provider && f.status === 'applied' && t < f.at + f.durationSeconds);
  }

  private async post(provider: string, settings: Record<string, unknown>): Promise<void> {
    const url = `${this.providers[provider]}/admin/mode`;
    const res = await this.http(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(settings), signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
  }

  private async remember(provider: string): Promise<void> {
    if (this.original.has(provider)) return;
    const url = `${this.providers[provider]}/admin/stats`;
    const res = await this.http(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    const { settings } = (await res.json()) as { settings: Record<string, unknown> };
    this.original.set(provider, Object.fromEntries(RESTORED_FIELDS.map((k) => [k, settings[k]])));
  }

  /** Applies the events due at elapsed second t and restores those that ended. */
  async tick(t: number): Promise<void> {
    for (const f of this.faults) {
      if (f.status === 'pending' && t >= f.at) {
        try {
          await this.remember(f.subject);
          await this.post(f.subject, f.settings!);
          Object.assign(f, { status: 'applied', appliedAt: t });
          this.log(`fault: ${f.type} ${f.subject} applied at ${t.toFixed(0)} s for ${f.durationSeconds} s`);
        } catch (error) {
          Object.assign(f, { status: 'failed', reason: `could not apply: ${(error as Error).message}` });
          this.log(`fault: ${f.type} ${f.subject} FAILED: ${(error as Error).message}`);
        }
      } else if (f.status === 'applied' && t >= f.at + f.durationSeconds) {
        await this.restore(f, t);
      }
    }
  }

  private async restore(f: FaultRecord, t: number): Promise<void> {
    f.status = 'restored';
    f.restoredAt = t;
    // Another event on the same provider still running keeps its settings; else the original.
    const still = this.active(f.subject, t);
    const settings = still?.settings ?? this.original.get(f.subject);
    try {
      if (settings) await this.post(f.subject, settings);
      this.log(`fault: ${f.type} ${f.subject} restored at ${t.toFixed(0)} s${still ? ` (to the ${still.type} still running)` : ''}`);
    } catch (error) {
      f.reason = `restore failed: ${(error as Error).message}`;
      this.log(`fault: ${f.type} ${f.subject} RESTORE FAILED: ${(error as Error).message}; set it back with: curl -XPOST ${this.providers[f.subject]}/admin/mode -d '${JSON.stringify(settings)}'`);
    }
  }

  /** Puts every touched provider back as it was (end of run, failure, Ctrl-C). Idempotent. */
  async restoreAll(t: number): Promise<void> {
    for (const f of this.faults) if (f.status === 'applied') await this.restore(f, t);
    for (const [provider, settings] of this.original) {
      await this.post(provider, settings).catch((error: Error) => this.log(`fault: restoring ${provider} failed: ${error.message}`));
    }
    this.original.clear();
  }
}
