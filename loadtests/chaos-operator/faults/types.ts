/**
 * One fault case: how to prepare the stack for it, how to inject it, and what "recovered" means
 * beyond the stack being settled. The case runner (case-runner.ts) wraps it with the load, the
 * samplers and the figures.
 */
import type { Cluster, StackState } from '../cluster.js';
import type { ChaosOptions } from '../options.js';
import type { OperatorFleet } from '../operator-fleet.js';

export interface CaseContext {
  cluster: Cluster;
  fleet: OperatorFleet;
  options: ChaosOptions;
  /** Seconds since the case's sampling started (0 before). */
  clock(): number;
  log(line: string): void;
  /** A moment worth a line on the chart and in the report (t is clock()). */
  mark(label: string): void;
  /** Case-specific figures for the report (leader-kill's per-kill takeover times …). */
  details: Record<string, unknown>;
  /** Identities killed by the case, with clock() at the kill: their later writes are double writes. */
  killed: Array<{ identity: string; t: number }>;
  /** Until the stack is settled and `extra` reports nothing; throws after timeoutSeconds. */
  waitSettled(what: string, timeoutSeconds: number, extra?: (s: StackState) => string[]): Promise<void>;
}

export interface FaultCase {
  name: string;
  title: string;
  /** Brings the stack to where the fault starts (before load and sampling). */
  prepare(ctx: CaseContext): Promise<void>;
  /** The fault, under load and sampling; resolves when it is lifted (recovery counts from then). */
  inject(ctx: CaseContext): Promise<void>;
  /** What is still wrong after the fault, beyond the stack being settled (none: recovered). */
  recovered?(s: StackState, ctx: CaseContext): string[];
  /** Gives the stack back as `make up` left it. */
  restore(ctx: CaseContext): Promise<void>;
}
