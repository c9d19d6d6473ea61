// The signal sources a test operator is registered with, as a cluster administrator would list
// them: the stack's Prometheus and PgBouncer as the defaults, plus the private servers a test
// starts on loopback (a Prometheus-shaped server, a hung one, a health double), registered by
// the test before the policies that name them are applied.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScalingPolicySpecInput } from '../../src/plimsoll/api/scaling-policy.js';
import type { SignalSources } from '../../src/plimsoll/config/signal-sources.js';

export const STACK_PROMETHEUS = process.env.TEST_PROMETHEUS_URL ?? 'http://127.0.0.1:19090';
/** The stack's PgBouncer admin console (tools/services/env.sh). */
export const STACK_PGBOUNCER = { host: '127.0.0.1', port: 16432, user: 'pgbouncer_admin', password: 'pgbouncer-admin-dev' };

/** A file with this content, readable by the operator only (mode 600), in a fresh temp directory. */
export function secretFile(content: string, name = 'password'): string {
  const path = join(mkdtempSync(join(tmpdir(), 'plimsoll-sources-')), name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

/** The stack's Prometheus and PgBouncer, each the default; nothing else until registered. */
export function stackSignalSources(): SignalSources {
  const { password, ...pgbouncer } = STACK_PGBOUNCER;
  return {
    prometheus: [{ name: 'stack', address: STACK_PROMETHEUS, default: true }],
    pgbouncer: [{ name: 'stack', ...pgbouncer, passwordFile: secretFile(password), default: true }],
    health: [],
  };
}

/** Registers, in place, every Prometheus address and health url the spec names that is not registered yet. */
export function registerNamed(sources: SignalSources, spec: Pick<ScalingPolicySpecInput, 'signals'>): void {
  for (const signal of spec.signals ?? []) {
    const address = signal.prometheus?.serverAddress;
    if (address && !sources.prometheus.some((s) => s.address === address)) {
      sources.prometheus.push({ name: `test-${sources.prometheus.length}`, address, default: false });
    }
    const url = signal.health?.url;
    if (url && !sources.health.some((h) => h.url === url)) sources.health.push({ name: `test-${sources.health.length}`, url });
  }
}

/** The registry as the file OPERATOR_SIGNAL_SOURCES_FILE names (JSON is YAML). */
export function signalSourcesFile(sources: SignalSources): string {
  return secretFile(JSON.stringify(sources), 'signal-sources.json');
}
