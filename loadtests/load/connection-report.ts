/**
 * The run's connection figures, assembled once the load is over: PgBouncer's samples held against
 * the budget of the policy the run predicts with (the scenario's, or --policy), and the
 * connection errors the matcher counted, from Prometheus.
 */
import { parseScalingPolicy } from '../../src/plimsoll/api/validate.js';
import { readSingleDocument } from '../../src/plimsoll/shared/files.js';
import { budgetFigures, connectionWarnings, summariseConnections, type ConnectionSummary, type PgBouncerLimits } from './connections.js';
import type { SamplingResult } from './pgbouncer-sampler.js';

export async function connectionReport(input: {
  pgbouncer: { url: string; database: string; intervalSeconds: number };
  limits: PgBouncerLimits;
  sampled: SamplingResult;
  policyFile: string;
  matcherErrors: () => Promise<ConnectionSummary['matcherErrors']>;
}): Promise<{ summary: ConnectionSummary; warnings: string[] }> {
  const warnings: string[] = [];
  let budget;
  try {
    budget = parseScalingPolicy(await readSingleDocument(input.policyFile, 'ScalingPolicy'), input.policyFile).spec.connectionBudget;
  } catch (error) {
    warnings.push(`the policy's connection budget could not be read (${(error as Error).message}): PgBouncer's max_client_conn stands for it`);
  }
  const { url, database, intervalSeconds } = input.pgbouncer;
  const summary = summariseConnections({
    console: url, database, intervalSeconds, samples: input.sampled.samples, failedSamples: input.sampled.failed, limits: input.limits,
    budget: budgetFigures(budget, input.limits.maxClientConn), matcherErrors: await input.matcherErrors().catch(() => null),
  });
  warnings.push(...connectionWarnings(summary));
  if (input.sampled.lastError) warnings.push(`last failed PgBouncer sample: ${input.sampled.lastError}`);
  return { summary, warnings };
}
