/**
 * One small interface every signal source implements (KEDA's scalers): read one number for one
 * signal of one policy. Sources are registered by name in ./index.ts; a signal's spec names
 * exactly one of them (prometheus, pgbouncer or health), validated by the API schema.
 */
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from '../../observability/logger.js';
import type { Signal } from '../../api/scaling-policy.js';

/** What a source may need from the policy it reads for. */
export interface SignalContext {
  namespace: string;
  policyName: string;
  targetName: string;
  logger: Logger;
  /** Addresses (IPs) of the target's ready endpoints. */
  readyEndpoints(): Promise<string[]>;
  /** A key of a Secret in the policy's namespace that consents to the policy (label plimsoll.dev/consumer). */
  secretValue(name: string, key: string): Promise<string>;
}

/** The polling window a read belongs to: identical reads within one window are asked once. */
export interface PollWindow {
  /** The policy's polling interval, ms. */
  ms: number;
  /** When the read starts, epoch ms. */
  now: number;
}

export interface SignalSource<C = unknown> {
  /** The field of `signals[]` that selects this source. */
  readonly type: 'prometheus' | 'pgbouncer' | 'health';
  /** Without a window the read is asked on its own (never shared). */
  read(config: C, context: SignalContext, window?: PollWindow): Promise<number>;
  /** Release shared connections (at shutdown). */
  close?(): Promise<void>;
}

export type SourceType = SignalSource['type'];

/** The source a signal spec selects and its typed configuration. */
export function sourceOf(signal: Signal): { type: SourceType; config: unknown } {
  if (signal.prometheus) return { type: 'prometheus', config: signal.prometheus };
  if (signal.pgbouncer) return { type: 'pgbouncer', config: signal.pgbouncer };
  if (signal.health) return { type: 'health', config: signal.health };
  throw new Error(`signal ${signal.name} has no source`);
}

export type KubeConfig = k8s.KubeConfig;
