/**
 * PgBouncer's admin console (SHOW POOLS / SHOW CONFIG). One connection per target URI, shared
 * by every signal and policy that reads it (KEDA's shared pools), reopened after an error.
 * The console speaks only the simple query protocol (no parameters) and ignores
 * SET statement_timeout, so the timeout is the client's: connect and query within timeoutMs,
 * else SIGNAL_TIMEOUT and the connection is closed — a hung console cannot stall the next read.
 * Reads of one URI run one at a time (the console answers one query per connection; pg 8.23
 * deprecates queueing on a client), each waiting for its turn only within its own timeout.
 */
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { PlimsollError } from '../../errors.js';
import type { Signal } from '../../api/scaling-policy.js';
import type { PgBouncerEndpoint, SignalSources } from '../../config/signal-sources.js';
import { resolvePgBouncer } from '../sources/resolve.js';
import { Coalescer } from './coalescer.js';
import { describeError, withDeadline } from './deadline.js';
import { serverErrorCode, shownValue } from './fetched.js';
import { KeyedLimiter } from './limiter.js';
import type { SignalSource } from './source.js';

type PgBouncerConfig = NonNullable<Signal['pgbouncer']>;
type Row = Record<string, string | number | null>;

const POOL_COLUMNS: Partial<Record<PgBouncerConfig['metric'], string>> = {
  ClientsWaiting: 'cl_waiting',
  MaxWaitSeconds: 'maxwait',
  ClientsActive: 'cl_active',
  ServersActive: 'sv_active',
};
const CONFIG_KEYS: Partial<Record<PgBouncerConfig['metric'], string>> = {
  MaxClientConnections: 'max_client_conn',
  MaxDatabaseConnections: 'max_db_connections',
  DefaultPoolSize: 'default_pool_size',
};

/** A console value as a finite number; null, empty, or text is a broken answer, not 0. */
function finite(raw: unknown, what: string): number {
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(value)) throw new PlimsollError('SIGNAL_FETCH_FAILED', `pgbouncer: ${what} is ${shownValue(raw)}, not a finite number`);
  return value;
}

/** The figure for one database from SHOW POOLS rows (summed over users) or SHOW CONFIG rows. */
export function pgbouncerValue(metric: PgBouncerConfig['metric'], database: string, rows: Row[]): number {
  const column = POOL_COLUMNS[metric];
  if (column) {
    const mine = rows.filter((r) => r.database === database);
    // PgBouncer lists a pool only while it has clients or servers: no row means nobody waits.
    if (mine.length === 0) return 0;
    const values = mine.map((r) => {
      const whole = finite(r[column], `${column} of ${database}/${String(r.user)}`);
      // maxwait_us (the sub-second part) is absent before PgBouncer 1.8.
      if (column !== 'maxwait' || r.maxwait_us === undefined || r.maxwait_us === null) return whole;
      return whole + finite(r.maxwait_us, `maxwait_us of ${database}/${String(r.user)}`) / 1e6;
    });
    return column === 'maxwait' ? Math.max(...values) : values.reduce((a, b) => a + b, 0);
  }
  const key = CONFIG_KEYS[metric];
  const row = rows.find((r) => r.key === key);
  if (!row) throw new PlimsollError('SIGNAL_EMPTY', `pgbouncer: no config key ${key}`);
  const value = finite(row.value, key!);
  if (metric === 'MaxDatabaseConnections' && value === 0) {
    throw new PlimsollError('SIGNAL_UNLIMITED',
      'pgbouncer: max_db_connections = 0 means unlimited: PgBouncer sets no per-database connection limit, so there is no budget to read (set max_db_connections, or give connectionBudget.maxConnections)');
  }
  return value;
}

/** host:port of a postgres:// URI, for messages: never the credentials. */
function serverOf(uri: string): string {
  try {
    return new URL(uri).host || 'pgbouncer';
  } catch {
    return '(unparsable URI)';
  }
}

interface Connection {
  client: pg.Client;
  ready: Promise<pg.Client>;
}

/** The operator configuration's default (OPERATOR_PGBOUNCER_TIMEOUT_MS). */
export const DEFAULT_PGBOUNCER_TIMEOUT_MS = 5000;

export class PgBouncerConnections {
  private readonly connections = new Map<string, Connection>();
  private readonly turns = new KeyedLimiter(1);

  constructor(private readonly timeoutMs = DEFAULT_PGBOUNCER_TIMEOUT_MS) {}

  /** One console query within timeoutMs, waiting for the connection's turn included. */
  query(uri: string, text: string): Promise<Row[]> {
    const what = `pgbouncer ${serverOf(uri)}`;
    return withDeadline(this.timeoutMs, what, (signal) => this.turns.run(uri, signal, async () => {
      try {
        const client = await this.connection(uri);
        signal.throwIfAborted();
        // At the deadline the connection is closed: that ends a hung query and frees the turn.
        const close = (): void => this.discard(uri, client);
        signal.addEventListener('abort', close, { once: true });
        try {
          return (await client.query<Row>({ text })).rows;
        } catch (err) {
          close();
          throw err;
        } finally {
          signal.removeEventListener('abort', close);
        }
      } catch (err) {
        if (signal.aborted) throw signal.reason as Error;
        if (err instanceof PlimsollError) throw err;
        throw new PlimsollError('SIGNAL_FETCH_FAILED', `${what}: ${serverErrorCode(err) ?? describeError(err)}`, { cause: err });
      }
    }));
  }

  async close(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.allSettled(all.map((c) => c.client.end()));
  }

  private connection(uri: string): Promise<pg.Client> {
    const existing = this.connections.get(uri);
    if (existing) return existing.ready;
    const client = new pg.Client({ connectionString: uri, connectionTimeoutMillis: this.timeoutMs, query_timeout: this.timeoutMs });
    const forget = (): void => {
      if (this.connections.get(uri)?.client === client) this.connections.delete(uri);
    };
    client.on('error', forget);
    client.on('end', forget);
    const ready = client.connect().then(() => client, (err: unknown) => {
      forget();
      throw err;
    });
    this.connections.set(uri, { client, ready });
    return ready;
  }

  private discard(uri: string, client: pg.Client): void {
    if (this.connections.get(uri)?.client === client) this.connections.delete(uri);
    // pg destroys the socket when a query is still active, so a hung console is let go at once.
    void client.end().catch(() => undefined);
  }
}

/** The admin-console URI of a registered endpoint; its password file is read each time, so a rotated Secret is picked up. */
export async function endpointUri(endpoint: PgBouncerEndpoint): Promise<string> {
  let password: string;
  try {
    password = (await readFile(endpoint.passwordFile, 'utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    throw new PlimsollError('SIGNAL_FETCH_FAILED', `pgbouncer ${endpoint.name}: its password file cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `postgres://${encodeURIComponent(endpoint.user)}:${encodeURIComponent(password)}@${host}:${endpoint.port}/pgbouncer`;
}

export function createPgBouncerSource(connections: PgBouncerConnections, sources: SignalSources, shared = new Coalescer<Row[]>()): SignalSource<PgBouncerConfig> {
  return {
    type: 'pgbouncer',
    async read(config, context, window) {
      const target = resolvePgBouncer(config, sources);
      if (!target.ok) throw new PlimsollError('SIGNAL_SOURCE_NOT_REGISTERED', `pgbouncer.${target.field}: ${target.rule}`);
      // A policy's own Secret (deprecated) is read only when it consents (see signalContext).
      const uri = 'endpoint' in target.value
        ? await endpointUri(target.value.endpoint)
        : await context.secretValue(target.value.secretRef.name, target.value.secretRef.key);
      const text = POOL_COLUMNS[config.metric] ? 'SHOW POOLS' : 'SHOW CONFIG';
      const rows = await shared.share(`${uri} ${text}`, window, () => connections.query(uri, text));
      return pgbouncerValue(config.metric, config.database, rows);
    },
    close: () => connections.close(),
  };
}
