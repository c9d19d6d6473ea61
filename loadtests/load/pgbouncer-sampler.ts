/**
 * Samples PgBouncer's admin console through a run: SHOW POOLS and SHOW CLIENTS every interval,
 * on the run's clock. The console is read with the operator's own client (one connection,
 * reopened after an error; the console speaks only the simple query protocol). That connection
 * is itself one of PgBouncer's clients, as the operator's is: the policy's reserved share is for
 * such readers.
 */
import { PgBouncerConnections } from '../../src/plimsoll/operator/signals/pgbouncer.js';
import { ConsoleDataError, limitsFrom, redactUrl, sampleFrom, type ConnectionSample, type PgBouncerLimits } from './connections.js';
import { LoadTestError } from './errors.js';
import { sampleEvery, type SamplingResult as Sampled } from './periodic.js';

export type SamplingResult = Sampled<ConnectionSample>;

export class PgBouncerSampler {
  private readonly connections = new PgBouncerConnections();
  private read?: PgBouncerLimits;

  constructor(readonly url: string, readonly database: string) {}

  /**
   * The limits for the database; fails with what is wrong when the console or the database is not
   * there. Call it while the database has clients: PgBouncer knows a database of its `*` fallback
   * (an auto-database) only then (see limitsFrom).
   */
  async limits(): Promise<PgBouncerLimits> {
    let config;
    let databases;
    let pools;
    try {
      config = await this.connections.query(this.url, 'SHOW CONFIG');
      databases = await this.connections.query(this.url, 'SHOW DATABASES');
      pools = await this.connections.query(this.url, 'SHOW POOLS');
    } catch (error) {
      throw new LoadTestError('PGBOUNCER_UNREACHABLE', `PgBouncer's admin console at ${redactUrl(this.url)} does not answer (${(error as Error).message}); run make up first, pass --pgbouncer URL, or --pgbouncer none to skip the connection figures`);
    }
    try {
      return limitsFrom(this.database, config, databases, pools);
    } catch (error) {
      if (error instanceof ConsoleDataError) {
        throw new LoadTestError('PGBOUNCER_DATABASE_UNKNOWN', `${error.message} at ${redactUrl(this.url)}; pass --pgbouncer-database NAME, or --pgbouncer URL of the PgBouncer the target uses (PgBouncer knows a database of its * fallback only while it has connections)`);
      }
      throw error;
    }
  }

  /**
   * The limits as soon as the console knows the database: read before the run if it does then,
   * else by the first sample under load that finds it (see sample()).
   */
  get limitsRead(): PgBouncerLimits | undefined {
    return this.read;
  }

  /** limits(), remembered; undefined while the console does not know the database (any other failure throws). */
  async tryLimits(): Promise<PgBouncerLimits | undefined> {
    if (this.read) return this.read;
    try {
      this.read = await this.limits();
    } catch (error) {
      if (!(error instanceof LoadTestError) || error.code !== 'PGBOUNCER_DATABASE_UNKNOWN') throw error;
    }
    return this.read;
  }

  /** One sample; until the limits are known it also looks for them (a `*` database appears once it has clients). */
  async sample(t: number): Promise<ConnectionSample> {
    const pools = await this.connections.query(this.url, 'SHOW POOLS');
    const clients = await this.connections.query(this.url, 'SHOW CLIENTS');
    if (!this.read) await this.tryLimits().catch(() => undefined);
    return sampleFrom(t, this.database, pools, clients);
  }

  /** Samples every intervalSeconds until stop() (see periodic.ts). */
  start(clock: () => number, intervalSeconds: number): { stop(): Promise<SamplingResult> } {
    return sampleEvery(clock, intervalSeconds, (t) => this.sample(t));
  }

  close(): Promise<void> {
    return this.connections.close();
  }
}
