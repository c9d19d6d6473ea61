/**
 * One service level for the whole deployment. Escalation is immediate and may skip levels;
 * de-escalation goes one level at a time, only after every trigger of the current level has
 * cleared past its exit threshold (hysteresis) and the level has been held for minDwellSeconds.
 */
import type { ScalingPolicySpec, Trigger } from '../api/scaling-policy.js';
import { levelAtRank, levelRank, type ServiceLevel } from '../contract/service-levels.js';
import type { EngineMemory, LevelDecision } from './types.js';

/**
 * `whenMissing: Fire` fires for a signal that was read before and is missing now (its source
 * failed): never for one with nothing to read, neither one not read yet (a cold start: no
 * replica scraped, no health answered) nor a health signal whose target has no ready endpoint
 * (a rollout or a restart), so neither degrades service.
 */
export function triggerFires(t: Trigger, value: number | undefined, nothingToRead: ReadonlySet<string> = new Set()): boolean {
  if (value === undefined) return t.whenMissing === 'Fire' && !nothingToRead.has(t.signal);
  return t.operator === 'Above' ? value > t.enter : value < t.enter;
}

export function triggerCleared(t: Trigger, value: number | undefined): boolean {
  if (value === undefined) return t.whenMissing === 'Ignore';
  return t.operator === 'Above' ? value <= t.exit : value >= t.exit;
}

function describe(t: Trigger, value: number | undefined): string {
  if (value === undefined) return `${t.signal} is missing`;
  return `${t.signal} = ${Number.isInteger(value) ? value : value.toFixed(3)} ${t.operator === 'Above' ? '>' : '<'} ${t.enter}`;
}

export function decideLevel(
  spec: ScalingPolicySpec,
  values: Map<string, number>,
  budgetConstrained: boolean,
  memory: EngineMemory['level'],
  now: number,
  /** Signals with nothing to read: no successful read yet (since the operator started), or no ready endpoint now. */
  nothingToRead: ReadonlySet<string> = new Set(),
): { decision: LevelDecision; memory: EngineMemory['level'] } {
  const { levels, minDwellSeconds, escalateWhenBudgetConstrained } = spec.degradation;
  // The highest level any trigger fires for (enter thresholds).
  let target: ServiceLevel = 'Full';
  let because = '';
  let reason = 'AllClear';
  for (const rule of levels) {
    const firing = rule.triggers.find((t) => triggerFires(t, values.get(t.signal), nothingToRead));
    if (firing && levelRank[rule.level] > levelRank[target]) {
      target = rule.level;
      reason = `Trigger:${firing.signal}`;
      because = describe(firing, values.get(firing.signal));
    }
  }
  if (budgetConstrained && levelRank[escalateWhenBudgetConstrained] > levelRank[target]) {
    target = escalateWhenBudgetConstrained;
    reason = 'BudgetConstrained';
    because = 'the connection budget caps replicas below what the objectives ask';
  }

  const current = memory.value;
  if (levelRank[target] > levelRank[current]) {
    return { decision: { value: target, reason, message: `escalated from ${current}: ${because}` }, memory: { value: target, since: now } };
  }
  if (current === 'Full') return { decision: { value: 'Full', reason: 'AllClear' }, memory };

  // Hold while the current level's own triggers have not all cleared past their exit thresholds.
  const rule = levels.find((l) => l.level === current);
  const holding = rule?.triggers.find((t) => !triggerCleared(t, values.get(t.signal)));
  if (holding) {
    return { decision: { value: current, reason: `Holding:${holding.signal}`, message: `${holding.signal} has not cleared its exit threshold ${holding.exit}` }, memory };
  }
  if (levelRank[target] === levelRank[current]) {
    return { decision: { value: current, reason, message: because }, memory };
  }
  const dwelt = (now - memory.since) / 1000;
  if (dwelt < minDwellSeconds) {
    return { decision: { value: current, reason: 'MinDwell', message: `in ${current} for ${dwelt.toFixed(0)} s of the ${minDwellSeconds} s minimum` }, memory };
  }
  const next = levelAtRank(levelRank[current] - 1);
  return { decision: { value: next, reason: 'Recovered', message: `${current} cleared for its dwell; stepping down one level` }, memory: { value: next, since: now } };
}
