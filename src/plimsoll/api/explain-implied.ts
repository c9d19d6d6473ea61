/**
 * What `plimsoll validate --explain` prints for a policy with spec.standardSignals: each implied
 * signal as the policy would write it (YAML a user can paste into spec.signals), with a comment
 * saying what it reads; the implied signals the policy overrides; and the providers whose latency
 * and throttled signals are implied. Pure: text in, lines out.
 */
import { stringify } from 'yaml';
import { MAX_IMPLYING_PROVIDER_NAME, PROVIDER_SIGNAL_SUFFIXES, impliedSignalInputs } from './implied-signals.js';
import type { ScalingPolicySpec } from './scaling-policy.js';

/** The explanation of a spec as written (not expanded); empty when it declares no contract. */
export function explainImpliedSignals(written: ScalingPolicySpec): string[] {
  if (!written.standardSignals) return [];
  const own = new Set(written.signals.map((s) => s.name));
  const implied = impliedSignalInputs(written);
  const lines = [`spec.standardSignals (${written.standardSignals.contract}) implies ${implied.length} signals, read from the registered default sources:`];
  for (const { signal, reads } of implied) {
    if (own.has(signal.name)) {
      lines.push(`  # ${signal.name}: overridden by the signal of that name in spec.signals`);
      continue;
    }
    lines.push(`  # ${signal.name}: ${reads}`);
    const yaml = stringify([signal], { lineWidth: 0 }).trimEnd();
    for (const line of yaml.split('\n')) lines.push(`  ${line}`);
  }
  const { latency, throttled } = PROVIDER_SIGNAL_SUFFIXES;
  for (const p of written.queues?.providers ?? []) {
    if (p.name.length > MAX_IMPLYING_PROVIDER_NAME) continue;
    const wired = [
      p.latencySignal === undefined ? `latencySignal ${p.name}${latency}` : undefined,
      p.throttledSignal === undefined ? `throttledSignal ${p.name}${throttled}` : undefined,
    ].filter((s) => s !== undefined);
    if (wired.length > 0) lines.push(`  # queues.providers ${p.name}: ${wired.join(', ')} (implied)`);
  }
  return lines;
}
