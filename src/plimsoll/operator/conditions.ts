/**
 * metav1.Conditions with the API conventions: lastTransitionTime moves only when a condition's
 * status flips, so re-asserting the same state costs no write.
 */
import type { Condition } from '../api/scaling-policy.js';

export type ConditionStatus = Condition['status'];

export class Conditions {
  private readonly previous: Map<string, Condition>;
  private readonly next = new Map<string, Condition>();

  constructor(previous: Condition[] | undefined, private readonly generation: number | undefined, private readonly nowIso: string) {
    this.previous = new Map((previous ?? []).map((c) => [c.type, c]));
  }

  set(type: string, status: ConditionStatus, reason: string, message: string): this {
    const before = this.previous.get(type);
    const condition: Condition = {
      type,
      status,
      reason,
      message: message.slice(0, 32768),
      lastTransitionTime: before && before.status === status ? before.lastTransitionTime : this.nowIso,
    };
    if (this.generation !== undefined) condition.observedGeneration = this.generation;
    this.next.set(type, condition);
    return this;
  }

  /** Keep a condition as it was (e.g. while paused nothing new is known). */
  keep(type: string): this {
    const before = this.previous.get(type);
    if (before) this.next.set(type, before);
    return this;
  }

  /** True when the condition just changed status (or appeared). */
  flipped(type: string): boolean {
    const now = this.next.get(type);
    return !!now && this.previous.get(type)?.status !== now.status;
  }

  get(type: string): Condition | undefined {
    return this.next.get(type);
  }

  list(): Condition[] {
    const order = ['Ready', 'SignalsHealthy', 'BudgetConstrained', 'Degraded', 'Propagated', 'Conflict', 'Paused', 'DryRun'];
    return [...this.next.values()].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
  }
}
