/**
 * The run's real database connections as PgBouncer saw them, against the connection budget.
 * Pure: admin-console rows (SHOW POOLS, SHOW CLIENTS, SHOW CONFIG, SHOW DATABASES) → samples and
 * limits; samples → the report's figures and the chart's series. pgbouncer-sampler.ts reads the
 * rows through the operator's admin-console client.
 */
import type { ConnectionBudget } from '../../src/plimsoll/api/scaling-policy.js';
import type { Series } from './prometheus.js';

export type ConsoleRow = Record<string, string | number | null>;

/** PgBouncer's limits for the sampled database, as the running instance reports them. */
export interface PgBouncerLimits {
  /** Every client counts, the admin console included (it is never refused). */
  maxClientConn: number;
  /** Server connections to the database (its max_db_connections; 0 is unlimited). */
  maxDbConnections: number;
  poolSize: number;
  reservePool: number;
  poolMode: string;
  /**
   * Where the figures come from: the database's own SHOW DATABASES row, or the instance's defaults
   * (SHOW CONFIG) for an auto-database that PgBouncer serves (SHOW POOLS has its pools) but does
   * not list — see limitsFrom.
   */
  source: 'database' | 'instance defaults';
}

export interface ConnectionSample {
  /** Seconds since the run started. */
  t: number;
  /** The database's client connections: every cl_* list of SHOW POOLS, summed over users. */
  clients: number;
  /** Of those, clients waiting for a server connection (cl_waiting). */
  clientsWaiting: number;
  /** The database's server connections: every sv_* list of SHOW POOLS, summed over users. */
  servers: number;
  /** Every client of PgBouncer (SHOW CLIENTS: all databases and the console): what max_client_conn bounds. */
  clientsAll: number;
}

/** The budget the samples are held against. */
export interface BudgetFigures {
  /** connectionBudget.maxConnections, or PgBouncer's max_client_conn for a budget read from it (fromSignal). */
  maxConnections: number;
  reserved: number;
  /** maxConnections − reserved: what the replicas' pools together may hold (the engine's invariant). */
  pools: number;
  source: 'policy' | 'pgbouncer';
}

export interface ConnectionSummary {
  /** The admin console, password removed. */
  console: string;
  database: string;
  intervalSeconds: number;
  samples: number;
  failedSamples: number;
  limits: PgBouncerLimits;
  budget: BudgetFigures;
  peak: { clients: number; clientsWaiting: number; servers: number; clientsAll: number } | null;
  /** Seconds with the database's clients above budget.pools (the simulator's budget violation, measured). */
  secondsOverBudget: number;
  /** Seconds with every one of max_client_conn taken: PgBouncer refused any further client. */
  secondsAtCeiling: number;
  /** matcher_db_connection_errors_total over the run, from Prometheus; null when it has no such series. */
  matcherErrors: { total: number; byReason: Record<string, number> } | null;
}

const num = (row: ConsoleRow, column: string): number => {
  const v = Number(row[column] ?? 0);
  return Number.isFinite(v) ? v : 0;
};

/** Sum of the columns with a prefix: each connection is in exactly one cl_* / sv_* list, whatever the version adds. */
const sumPrefixed = (row: ConsoleRow, prefix: string) => Object.keys(row).filter((k) => k.startsWith(prefix)).reduce((s, k) => s + num(row, k), 0);

/** One sample from SHOW POOLS and SHOW CLIENTS. A database without a pool row has no connections. */
export function sampleFrom(t: number, database: string, pools: ConsoleRow[], clients: ConsoleRow[]): ConnectionSample {
  const mine = pools.filter((r) => r.database === database);
  return {
    t,
    clients: mine.reduce((s, r) => s + sumPrefixed(r, 'cl_'), 0),
    clientsWaiting: mine.reduce((s, r) => s + num(r, 'cl_waiting'), 0),
    servers: mine.reduce((s, r) => s + sumPrefixed(r, 'sv_'), 0),
    clientsAll: clients.length,
  };
}

export class ConsoleDataError extends Error {}

/**
 * The limits from SHOW CONFIG and the database's SHOW DATABASES row. PgBouncer (1.18 at least)
 * can serve an auto-database of its `*` fallback without listing it: its janitor moves an
 * auto-database with no pooled client to the idle list, also while the first client is still
 * logging in (SCRAM takes round trips), and only the next new client moves it back — until then
 * SHOW DATABASES leaves it out although SHOW POOLS shows its clients. Such a database (pools,
 * no row) gets the instance's defaults, which are a `*` fallback's limits unless that line sets
 * its own. A database with neither a row nor a pool is not served (yet): an error.
 */
export function limitsFrom(database: string, config: ConsoleRow[], databases: ConsoleRow[], pools: ConsoleRow[] = []): PgBouncerLimits {
  const setting = (key: string) => {
    const row = config.find((r) => r.key === key);
    if (!row) throw new ConsoleDataError(`SHOW CONFIG has no ${key}`);
    return row.value;
  };
  const maxClientConn = Number(setting('max_client_conn'));
  const row = databases.find((r) => r.name === database);
  if (row) {
    return {
      maxClientConn,
      maxDbConnections: num(row, 'max_connections'),
      poolSize: num(row, 'pool_size'),
      reservePool: num(row, 'reserve_pool'),
      // A database without its own pool_mode lists it empty: the instance's applies.
      poolMode: String(row.pool_mode || setting('pool_mode')),
      source: 'database',
    };
  }
  if (pools.some((r) => r.database === database)) {
    const count = (key: string) => {
      const value = Number(setting(key));
      if (!Number.isFinite(value)) throw new ConsoleDataError(`SHOW CONFIG's ${key} is ${String(setting(key))}, not a number`);
      return value;
    };
    return {
      maxClientConn,
      maxDbConnections: count('max_db_connections'),
      poolSize: count('default_pool_size'),
      reservePool: count('reserve_pool_size'),
      poolMode: String(setting('pool_mode')),
      source: 'instance defaults',
    };
  }
  const served = databases.map((r) => String(r.name)).filter((n) => n !== 'pgbouncer');
  throw new ConsoleDataError(`PgBouncer serves no database "${database}" (SHOW DATABASES lists: ${served.join(', ') || 'none'}; SHOW POOLS has no pool for it)`);
}

/** The policy's budget; a budget read from PgBouncer (fromSignal, or no budget) is its max_client_conn. */
export function budgetFigures(budget: Pick<ConnectionBudget, 'maxConnections' | 'reserved'> | undefined, maxClientConn: number): BudgetFigures {
  const fromPolicy = budget?.maxConnections;
  const maxConnections = fromPolicy ?? maxClientConn;
  const reserved = budget?.reserved ?? 0;
  return { maxConnections, reserved, pools: Math.max(0, maxConnections - reserved), source: fromPolicy === undefined ? 'pgbouncer' : 'policy' };
}

/** The console URL without its password, for the report. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** The figures over the samples, each standing for one interval (a failed sample stands for none). */
export function summariseConnections(input: {
  console: string; database: string; intervalSeconds: number; samples: ConnectionSample[]; failedSamples: number;
  limits: PgBouncerLimits; budget: BudgetFigures; matcherErrors: ConnectionSummary['matcherErrors'];
}): ConnectionSummary {
  const { samples, intervalSeconds, limits, budget } = input;
  const peakOf = (f: (s: ConnectionSample) => number) => samples.reduce((m, s) => Math.max(m, f(s)), 0);
  return {
    console: redactUrl(input.console),
    database: input.database,
    intervalSeconds,
    samples: samples.length,
    failedSamples: input.failedSamples,
    limits,
    budget,
    peak: samples.length === 0 ? null : {
      clients: peakOf((s) => s.clients), clientsWaiting: peakOf((s) => s.clientsWaiting), servers: peakOf((s) => s.servers), clientsAll: peakOf((s) => s.clientsAll),
    },
    secondsOverBudget: samples.filter((s) => s.clients > budget.pools).length * intervalSeconds,
    secondsAtCeiling: samples.filter((s) => s.clientsAll >= limits.maxClientConn).length * intervalSeconds,
    matcherErrors: input.matcherErrors,
  };
}

/** The connections chart: the samples, and the limits as lines over the whole run. */
export function connectionSeries(samples: ConnectionSample[], summary: ConnectionSummary, durationSeconds: number): Series[] {
  const sampled = (id: string, label: string, value: (s: ConnectionSample) => number): Series => ({
    id, label, chart: 'connections', source: 'pgbouncer', points: samples.map((s) => [s.t, value(s)] as [number, number]),
  });
  const limit = (id: string, label: string, value: number): Series => ({
    id, label, chart: 'connections', source: 'limit', points: [[0, value], [durationSeconds, value]],
  });
  const { budget, limits, database } = summary;
  const series = [
    sampled('pgb-clients', `clients of ${database}`, (s) => s.clients),
    sampled('pgb-servers', `server connections of ${database}`, (s) => s.servers),
    sampled('pgb-waiting', `clients of ${database} waiting for a server`, (s) => s.clientsWaiting),
    sampled('pgb-clients-all', 'clients of PgBouncer (all databases and the console)', (s) => s.clientsAll),
    limit('limit-max-client-conn', `PgBouncer max_client_conn ${limits.maxClientConn}`, limits.maxClientConn),
    limit('limit-pools', `pools' budget: ${budget.maxConnections} − ${budget.reserved} reserved`, budget.pools),
  ];
  // Drawn apart only when it is not PgBouncer's ceiling (then the budget does not bite).
  if (budget.maxConnections !== limits.maxClientConn) series.push(limit('limit-budget', `policy budget ${budget.maxConnections}`, budget.maxConnections));
  return series;
}

/** What makes the connection figures unreliable or the budget toothless, for the report's warnings. */
export function connectionWarnings(summary: ConnectionSummary): string[] {
  const out: string[] = [];
  const { budget, limits } = summary;
  if (budget.maxConnections !== limits.maxClientConn) {
    out.push(`the policy's connection budget (${budget.maxConnections}) is not PgBouncer's max_client_conn (${limits.maxClientConn}) at ${summary.console}: the budget does not bite there`);
  }
  if (summary.failedSamples > 0) out.push(`${summary.failedSamples} PgBouncer samples failed (of ${summary.samples + summary.failedSamples}): the connection figures have gaps`);
  if (summary.samples === 0) out.push(`PgBouncer at ${summary.console} gave no sample: no connection figures`);
  return out;
}
