import pg from 'pg';
import { PlimsollError } from '../errors.js';

export interface ResizablePoolOptions {
  connectionString: string;
  /** The initial limit on connections checked out at once. */
  max: number;
  /** The ceiling resize() may reach; pg.Pool's own max. */
  hardMax: number;
  /** How long acquire() waits for a free slot before DB_POOL_TIMEOUT (default 2 s). */
  acquireTimeoutMs?: number;
  /** How long an idle connection stays open (default 30 s). */
  idleTimeoutMs?: number;
  applicationName?: string;
}

export interface PoolStats {
  /** The current limit (what resize() last set). */
  max: number;
  hardMax: number;
  /** Connections checked out by callers. */
  active: number;
  /** Open connections not checked out. */
  idle: number;
  /** Open connections (active + idle). */
  total: number;
  /** Callers waiting for a slot. */
  waiting: number;
  /** Acquisitions that timed out since start. */
  timeouts: number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * pg.Pool behind a resizable semaphore. pg.Pool cannot change its max at runtime, so it is built
 * with the hard ceiling and every checkout first takes a slot from a semaphore whose size is the
 * live limit. resize() never interrupts a query: growing wakes waiters at once; shrinking lets
 * checked-out connections finish, then closes them on release (and idle ones immediately) until
 * the open connections fit the new limit. The runtime client drives resize() from the runtime
 * document; a service queries through query(), or acquire()/release() for a transaction.
 */
export class ResizablePool {
  private readonly pool: pg.Pool;
  private limit: number;
  private inUse = 0;
  private timeouts = 0;
  private readonly waiters: Waiter[] = [];
  private closed = false;
  /** The error each checked-out connection saw while checked out (the server dropped it, PgBouncer KILLed it). */
  private readonly broken = new WeakMap<pg.PoolClient, Error>();
  private readonly listeners = new WeakMap<pg.PoolClient, (error: Error) => void>();

  private readonly options: Required<ResizablePoolOptions>;

  constructor(options: ResizablePoolOptions) {
    if (options.max < 1 || options.max > options.hardMax) {
      throw new PlimsollError('CONFIG_INVALID', `pool max ${options.max} must be within 1..${options.hardMax}`);
    }
    this.options = { acquireTimeoutMs: 2000, idleTimeoutMs: 30_000, applicationName: 'plimsoll-governed', ...options };
    this.limit = options.max;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.hardMax,
      idleTimeoutMillis: this.options.idleTimeoutMs,
      connectionTimeoutMillis: this.options.acquireTimeoutMs,
      application_name: this.options.applicationName,
      allowExitOnIdle: false,
    });
    // An idle connection that dies (server restart, PgBouncer KILL) must not crash the process.
    this.pool.on('error', () => undefined);
  }

  get max(): number {
    return this.limit;
  }

  /** The ceiling resize() may reach. */
  get hardMax(): number {
    return this.options.hardMax;
  }

  stats(): PoolStats {
    return {
      max: this.limit,
      hardMax: this.options.hardMax,
      active: this.inUse,
      idle: this.pool.idleCount,
      total: this.pool.totalCount,
      waiting: this.waiters.length,
      timeouts: this.timeouts,
    };
  }

  /** Changes the limit live. In-flight queries are never cancelled. */
  resize(max: number): void {
    if (!Number.isInteger(max) || max < 1 || max > this.options.hardMax) {
      throw new PlimsollError('CONFIG_INVALID', `pool max ${max} must be an integer within 1..${this.options.hardMax}`);
    }
    this.limit = max;
    this.wake();
    void this.trimIdle();
  }

  /** Checks out a connection; call release() exactly once. */
  async acquire(): Promise<pg.PoolClient> {
    if (this.closed) throw new PlimsollError('SHUTTING_DOWN', 'the database pool is closed');
    await this.takeSlot();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      this.giveSlot();
      throw new PlimsollError('DB_UNAVAILABLE', `cannot connect to the database: ${(error as Error).message}`, { cause: error });
    }
    // pg-pool removes its own error listener while a connection is checked out: a connection the
    // server (or PgBouncer) drops mid-transaction would emit an unhandled 'error' and end the
    // process. The query in flight rejects on its own; the listener only remembers that the
    // connection is broken, so release() discards it instead of returning it to the pool.
    const onError = (error: Error) => { this.broken.set(client, error); };
    client.on('error', onError);
    this.listeners.set(client, onError);
    return client;
  }

  /** One statement on a pooled connection (pg.Pool's query(), within the live limit). */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    const client = await this.acquire();
    try {
      const result = await client.query<R>(text, values);
      this.release(client);
      return result;
    } catch (error) {
      // A server's answer (an SQL error, with its SQLSTATE code) leaves the connection usable.
      this.release(client, (error as { code?: unknown }).code === undefined ? (error as Error) : undefined);
      throw error;
    }
  }

  /** Returns a connection; a broken one (error given) or one above the limit is closed. */
  release(client: pg.PoolClient, error?: Error): void {
    const listener = this.listeners.get(client);
    if (listener) client.removeListener('error', listener);
    this.listeners.delete(client);
    const failure = error ?? this.broken.get(client);
    this.broken.delete(client);
    const destroy = failure !== undefined || this.pool.totalCount > this.limit;
    client.release(destroy ? (failure ?? true) : undefined);
    this.giveSlot();
  }

  async end(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new PlimsollError('SHUTTING_DOWN', 'the database pool is closing'));
    }
    await this.pool.end();
  }

  private takeSlot(): Promise<void> {
    if (this.inUse < this.limit && this.waiters.length === 0) {
      this.inUse++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => { this.inUse++; resolve(); },
        reject,
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          this.timeouts++;
          reject(new PlimsollError('DB_POOL_TIMEOUT',
            `no database connection free within ${this.options.acquireTimeoutMs} ms (pool max ${this.limit}, ${this.inUse} in use)`));
        }, this.options.acquireTimeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  private giveSlot(): void {
    this.inUse--;
    this.wake();
  }

  private wake(): void {
    while (this.inUse < this.limit && this.waiters.length > 0) {
      const w = this.waiters.shift()!;
      clearTimeout(w.timer);
      w.resolve();
    }
  }

  /** Closes idle connections beyond the limit (pg.Pool hands out idle ones first). */
  private async trimIdle(): Promise<void> {
    while (!this.closed && this.pool.idleCount > 0 && this.pool.totalCount > this.limit) {
      const client = await this.pool.connect();
      client.release(true);
    }
  }
}
