/**
 * Reads every signal of a policy through its source and keeps the observations the engine
 * needs (value, read time, consecutive failures, last error) per policy, in the operator's
 * memory — as the HPA controller keeps its metrics history. Each read is bounded by its
 * source's timeout, so a hung source makes its signal fail (SIGNAL_TIMEOUT) and the policy's
 * reconcile carries on; the policy's polling interval is the window in which identical reads
 * of several policies are shared.
 */
import type { ScalingPolicySpec } from '../api/scaling-policy.js';
import { isPlimsollError } from '../errors.js';
import type { SignalObservation } from '../engine/index.js';
import type { Logger } from '../observability/logger.js';
import type { OperatorMetrics } from './metrics.js';
import { sourceOf, type SignalContext, type SignalRegistry } from './signals/index.js';

export async function collectSignals(
  spec: ScalingPolicySpec,
  previous: Record<string, SignalObservation>,
  registry: SignalRegistry,
  context: SignalContext,
  metrics: OperatorMetrics,
  logger: Logger,
  now: () => number,
): Promise<Record<string, SignalObservation>> {
  const next: Record<string, SignalObservation> = {};
  const window = { ms: spec.pollingIntervalSeconds * 1000, now: now() };
  await Promise.all(spec.signals.map(async (signal) => {
    const { type, config } = sourceOf(signal);
    const source = registry[type];
    const before = previous[signal.name];
    const timer = metrics.signalFetchDuration.startTimer({ source: type });
    try {
      const value = await source.read(config, context, window);
      next[signal.name] = { value, readAt: now(), consecutiveFailures: 0 };
    } catch (err) {
      // The code leads the message: status shows at a glance a timeout from an empty answer.
      const message = isPlimsollError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
      metrics.signalFailures.inc({ namespace: context.namespace, policy: context.policyName, signal: signal.name, source: type });
      logger.debug({ signal: signal.name, err: message }, 'signal read failed');
      const failed: SignalObservation = { consecutiveFailures: (before?.consecutiveFailures ?? 0) + 1, lastError: message.slice(0, 2048) };
      if (before?.value !== undefined) failed.value = before.value;
      if (before?.readAt !== undefined) failed.readAt = before.readAt;
      if (isPlimsollError(err) && err.code === 'SIGNAL_NO_ENDPOINTS') failed.nothingToRead = true;
      next[signal.name] = failed;
    } finally {
      timer();
    }
  }));
  return next;
}
