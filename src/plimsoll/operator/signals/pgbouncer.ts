/**
 * PgBouncer's admin console (SHOW POOLS / SHOW CONFIG). One connection per target URI, shared
 * by every signal and policy that reads it (KEDA's shared pools), reopened after an error.
 * The console speaks only the simple query protocol: queries carry no parameters.
 */
import pg from 'pg';
import { PlimsollError } from '../../errors.js';
import type { Signal } from '../../api/scaling-policy.js';
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

/** The figure for one database from SHOW POOLS rows (summed over users) or SHOW CONFIG rows. */
export function pgbouncerValue(metric: PgBouncerConfig['metric'], database: string, rows: Row[]): number {
  const column = POOL_COLUMNS[metric];
  if (column) {
    const mine = rows.filter((r) => r.database === database);
    // PgBouncer lists a pool only while it has clients or servers: no row means nobody waits.
    if (mine.length === 0) return 0;
    const values = mine.map((r) => Number(r[column]) + (column === 'maxwait' ? Number(r.maxwait_us ?? 0) / 1e6 : 0));
    return column === 'maxwait' ? Math.max(...values) : values.reduce((a, b) => a + b, 0);
  }
  const key = CONFIG_KEYS[metric];
  const row = rows.find((r) => r.key === key);
  if (!row) throw new PlimsollError('SIGNAL_EMPTY', `pgbouncer: no config key ${key}`);
  return Number(row.value);
}

export class PgBouncerConnections {
  private readonly clients = new Map<string, Promise<pg.Client>>();

  async query(uri: string, text: string): Promise<Row[]> {
    let pending = this.clients.get(uri);
    if (!pending) {
      pending = (async () => {
        const client = new pg.Client({ connectionString: uri, connectionTimeoutMillis: 5000 });
        client.on('error', () => this.clients.delete(uri));
        client.on('end', () => this.clients.delete(uri));
        await client.connect();
        return client;
      })();
      this.clients.set(uri, pending);
      pending.catch(() => this.clients.delete(uri));
    }
    const client = await pending;
    try {
      const result = await client.query<Row>({ text });
      return result.rows;
    } catch (err) {
      this.clients.delete(uri);
      void client.end().catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.allSettled(all.map(async (p) => (await p).end()));
  }
}

export function createPgBouncerSource(connections = new PgBouncerConnections()): SignalSource<PgBouncerConfig> {
  return {
    type: 'pgbouncer',
    async read(config, context) {
      const uri = await context.secretValue(config.secretRef.name, config.secretRef.key);
      const text = POOL_COLUMNS[config.metric] ? 'SHOW POOLS' : 'SHOW CONFIG';
      try {
        return pgbouncerValue(config.metric, config.database, await connections.query(uri, text));
      } catch (err) {
        if (err instanceof PlimsollError) throw err;
        throw new PlimsollError('SIGNAL_FETCH_FAILED', `pgbouncer: ${(err as Error).message}`, { cause: err });
      }
    },
    close: () => connections.close(),
  };
}
