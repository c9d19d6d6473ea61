import { createHash, randomUUID } from 'node:crypto';
import type { Database } from './db/database.js';

/** A response as stored for replays (the body without `serviceLevel`, which is added when sent). */
export interface StoredResponse { status: number; headers: Record<string, string>; body: Record<string, unknown> }

interface KeyRow {
  request_hash: Buffer | null;
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: Record<string, unknown> | null;
  stale: boolean | null;
}

export type Claim =
  | { state: 'owned'; claimId: string }
  | { state: 'in-flight' }
  | { state: 'mismatch' }
  | { state: 'done'; response: StoredResponse };

/** What makes two requests "the same": method, path and the parsed body (whitespace is not part of it). */
export function requestHash(method: string, url: string, body: unknown): Buffer {
  return createHash('sha256').update(`${method} ${url}\n`).update(JSON.stringify(body ?? null)).digest();
}

export interface IdempotencyOptions {
  /** How long a key and its response are remembered. */
  ttlSeconds: number;
  /** An in-flight claim older than this is taken to belong to a request that died (its replica crashed): the next retry takes it over. */
  leaseMs: number;
  /** How often (at most) one replica deletes expired keys, piggybacking on a claim. */
  purgeEveryMs?: number;
  onPurgeError?(error: unknown): void;
}

/**
 * Idempotency keys in PostgreSQL, shared by every replica (see migration 0003). Time is the
 * database's (now()), one clock for all replicas. Expired keys count as absent: a claim takes an
 * expired row over, and purgeExpired() deletes them in batches.
 */
export class IdempotencyStore {
  private nextPurge = 0;

  constructor(private readonly db: Database, private readonly options: IdempotencyOptions, private readonly now: () => number = Date.now) {}

  async claim(tenantId: string, key: string, hash: Buffer): Promise<Claim> {
    await this.purgeIfDue();
    const claimId = randomUUID();
    const params = [tenantId, key, hash, claimId, this.options.ttlSeconds, this.options.leaseMs / 1000];
    // DO NOTHING takes no lock on an existing row, so concurrent retries do not queue behind each
    // other. The outer SELECT reads the statement's snapshot: it sees a row committed before this
    // statement began, never the one it inserts (then `claimed` says so).
    const { rows } = await this.db.query<KeyRow & { claimed: boolean }>('fast', 'idempotency.claim',
      `WITH inserted AS (
         INSERT INTO idempotency_keys (tenant_id, idempotency_key, request_hash, claim_id, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
         ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM inserted) AS claimed, k.request_hash, k.response_status, k.response_headers, k.response_body,
              (k.expires_at <= now() OR (k.response_status IS NULL AND k.created_at <= now() - make_interval(secs => $6))) AS stale
         FROM (SELECT 1) AS one LEFT JOIN idempotency_keys k ON k.tenant_id = $1 AND k.idempotency_key = $2`, params);
    const row = rows[0]!;
    if (row.claimed) return { state: 'owned', claimId };
    // Committed by a request that began just before this statement, or released by its failed owner.
    if (row.request_hash === null) return { state: 'in-flight' };
    // Expired (absent, as far as anyone is concerned) or abandoned by a request that died: take it
    // over, unless a concurrent retry did first.
    if (row.stale) return this.takeOver(params, claimId);
    if (!row.request_hash.equals(hash)) return { state: 'mismatch' };
    if (row.response_status === null) return { state: 'in-flight' };
    return { state: 'done', response: { status: row.response_status, headers: row.response_headers ?? {}, body: row.response_body! } };
  }

  private async takeOver(params: unknown[], claimId: string): Promise<Claim> {
    const { rowCount } = await this.db.query('fast', 'idempotency.take-over',
      `UPDATE idempotency_keys
          SET request_hash = $3, claim_id = $4, response_status = NULL, response_headers = NULL, response_body = NULL,
              created_at = now(), expires_at = now() + make_interval(secs => $5)
        WHERE tenant_id = $1 AND idempotency_key = $2
          AND (expires_at <= now() OR (response_status IS NULL AND created_at <= now() - make_interval(secs => $6)))`, params);
    return rowCount === 1 ? { state: 'owned', claimId } : { state: 'in-flight' };
  }

  /** Stores the owner's response; false when the claim was taken over meanwhile (nothing stored). */
  async complete(tenantId: string, key: string, claimId: string, response: StoredResponse): Promise<boolean> {
    const { rowCount } = await this.db.query('fast', 'idempotency.complete',
      `UPDATE idempotency_keys SET response_status = $4, response_headers = $5, response_body = $6
        WHERE tenant_id = $1 AND idempotency_key = $2 AND claim_id = $3`,
      [tenantId, key, claimId, response.status, JSON.stringify(response.headers), JSON.stringify(response.body)]);
    return rowCount === 1;
  }

  /** The owner failed before it had a response to keep: the key is free again for a retry. */
  async release(tenantId: string, key: string, claimId: string): Promise<void> {
    await this.db.query('fast', 'idempotency.release',
      'DELETE FROM idempotency_keys WHERE tenant_id = $1 AND idempotency_key = $2 AND claim_id = $3', [tenantId, key, claimId]);
  }

  /** Deletes up to `limit` expired keys (oldest first); returns how many. */
  async purgeExpired(limit = 500): Promise<number> {
    const { rowCount } = await this.db.query('fast', 'idempotency.purge',
      `DELETE FROM idempotency_keys WHERE (tenant_id, idempotency_key) IN (
         SELECT tenant_id, idempotency_key FROM idempotency_keys WHERE expires_at <= now()
          ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)`, [limit]);
    return rowCount ?? 0;
  }

  private async purgeIfDue(): Promise<void> {
    const now = this.now();
    if (now < this.nextPurge) return;
    this.nextPurge = now + (this.options.purgeEveryMs ?? 60_000);
    await this.purgeExpired().catch((error: unknown) => this.options.onPurgeError?.(error));
  }
}
