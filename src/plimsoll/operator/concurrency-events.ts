/**
 * ConcurrencyChanged Events, aggregated in the spirit of the Kubernetes event correlator: AIMD
 * moves a provider's concurrency in small steps, and one Event per step would bury the Events
 * that matter (a level change, a scale) in `kubectl describe sp` and cost a write each. The first
 * movement after a quiet window is told at once; the steps that follow within the window are
 * summed up into one Event when the window has passed ("groq 4 → 9 in 5 steps: …").
 *
 * Pure: the caller gives the time and sends what it is handed. In memory only: after a restart
 * the next movement is simply told at once.
 */

/** One provider's change in one published document. */
export interface ConcurrencyChange {
  provider: string;
  from: number | undefined;
  to: number;
  reason: string;
}

interface Movement {
  from: number | undefined;
  to: number;
  steps: number;
  /** How often each reason moved it, in first-seen order. */
  reasons: Map<string, number>;
}

interface PolicyEvents {
  /** When the last Event was handed out. */
  sentAt: number | undefined;
  /** Movements since then, by provider, and the runtime generation of the latest. */
  held: Map<string, Movement>;
  generation: number;
}

/** Reasons named in one summary, at most (the rest are counted). */
const MAX_REASONS = 3;

export class ConcurrencyEvents {
  private readonly policies = new Map<string, PolicyEvents>();

  /** `windowMs`: at most one Event per policy per window. */
  constructor(private readonly windowMs: (key: string) => number) {}

  /**
   * A document with these changes was published: the note of the Event to send now, or
   * undefined when it is held for the window's summary.
   */
  record(key: string, changes: ConcurrencyChange[], generation: number, now: number): string | undefined {
    if (changes.length === 0) return undefined;
    const policy = this.policies.get(key) ?? { sentAt: undefined, held: new Map(), generation };
    this.policies.set(key, policy);
    for (const c of changes) {
      const moved = policy.held.get(c.provider) ?? { from: c.from, to: c.to, steps: 0, reasons: new Map<string, number>() };
      moved.to = c.to;
      moved.steps += 1;
      moved.reasons.set(c.reason, (moved.reasons.get(c.reason) ?? 0) + 1);
      policy.held.set(c.provider, moved);
    }
    policy.generation = generation;
    return this.due(key, now);
  }

  /** The summary of the movements held for the policy, once its window has passed. */
  due(key: string, now: number): string | undefined {
    const policy = this.policies.get(key);
    if (!policy || policy.held.size === 0) return undefined;
    if (policy.sentAt !== undefined && now - policy.sentAt < this.windowMs(key)) return undefined;
    const note = `${[...policy.held].map(([provider, m]) => describe(provider, m)).join('; ')} (runtime generation ${policy.generation})`;
    policy.held.clear();
    policy.sentAt = now;
    return note;
  }

  forget(key: string): void {
    this.policies.delete(key);
  }
}

function describe(provider: string, m: Movement): string {
  const move = `${provider} ${m.from ?? '-'} → ${m.to}`;
  const reasons = [...m.reasons];
  if (m.steps === 1) return `${move}: ${reasons[0]![0]}`;
  const named = reasons.slice(0, MAX_REASONS).map(([reason, n]) => (n > 1 ? `${reason} ×${n}` : reason));
  if (reasons.length > MAX_REASONS) named.push(`${reasons.length - MAX_REASONS} more`);
  return `${move} in ${m.steps} steps: ${named.join(', ')}`;
}
