import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database, Queryable } from './db/database.js';

/**
 * API keys: `plm_<8 lowercase alphanumerics>_<43 chars of base64url = 256 random bits>`. The
 * prefix (plm_xxxxxxxx) is stored in clear to find the key and to show it in listings; only the
 * SHA-256 of the whole key is stored. A presented key is hashed and compared with
 * crypto.timingSafeEqual on the two 32-byte hashes, so the comparison leaks no timing.
 */
export interface Principal {
  tenantId: string;
  keyPrefix: string;
}

const KEY_PATTERN = /^(plm_[a-z0-9]{8})_[A-Za-z0-9_-]{43}$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function generateApiKey(random: (n: number) => Buffer = randomBytes): { key: string; prefix: string; hash: Buffer } {
  const bytes = random(8);
  let id = '';
  for (const b of bytes) id += ALPHABET[b % ALPHABET.length];
  const prefix = `plm_${id}`;
  const key = `${prefix}_${random(32).toString('base64url')}`;
  return { key, prefix, hash: hashKey(key) };
}

export async function createTenant(q: Queryable, name: string, label = 'default'): Promise<{ tenantId: string; apiKey: string; keyPrefix: string }> {
  const { rows } = await q.query<{ id: string }>('INSERT INTO tenants (name) VALUES ($1) RETURNING id', [name]);
  const tenantId = rows[0]!.id;
  const { key, prefix, hash } = generateApiKey();
  await q.query('INSERT INTO api_keys (tenant_id, key_prefix, key_hash, label) VALUES ($1, $2, $3, $4)', [tenantId, prefix, hash, label]);
  return { tenantId, apiKey: key, keyPrefix: prefix };
}

interface CachedKey { tenantId: string; hash: Buffer; expires: number }

export interface ApiKeyVerifierOptions {
  /** How long a found key is trusted without asking the database (revocation takes at most this). */
  ttlMs?: number;
  /** How long a prefix the database does not know is refused without asking again. */
  negativeTtlMs?: number;
  /** Per cache (found, unknown): the oldest entry goes first beyond it. */
  maxEntries?: number;
  now?: () => number;
}

/**
 * Verifies keys against the database, with short in-process caches: found keys (revocation takes
 * ≤ ttlMs) and unknown prefixes (a key created meanwhile works after ≤ negativeTtlMs), so neither
 * a busy client nor one repeating a wrong key costs a database round trip per request. Random
 * prefixes still miss both caches: the per-client failure limit (http/failed-auth-limiter.ts)
 * bounds those.
 */
export class ApiKeyVerifier {
  private readonly cache = new Map<string, CachedKey>();
  private readonly unknown = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(private readonly db: Database, options: ApiKeyVerifierOptions = {}) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.negativeTtlMs = options.negativeTtlMs ?? 10_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The key's principal, or null when it is not valid. With cacheOnly, a key that would need the
   * database answers undefined instead (a client over its failure limit gets no round trip).
   */
  async verify(presented: string | undefined, options: { cacheOnly?: boolean } = {}): Promise<Principal | null | undefined> {
    if (!presented) return null;
    const match = KEY_PATTERN.exec(presented);
    if (!match) return null;
    const prefix = match[1]!;
    const hash = hashKey(presented);
    const now = this.now();
    let entry = this.cache.get(prefix);
    if (!entry || entry.expires < now) {
      if ((this.unknown.get(prefix) ?? 0) > now) return null;
      if (options.cacheOnly) return undefined;
      const { rows } = await this.db.query<{ tenant_id: string; key_hash: Buffer }>('fast', 'auth.key',
        'SELECT tenant_id, key_hash FROM api_keys WHERE key_prefix = $1 AND revoked_at IS NULL', [prefix]);
      const row = rows[0];
      if (!row) {
        this.cache.delete(prefix);
        remember(this.unknown, prefix, now + this.negativeTtlMs, this.maxEntries);
        return null;
      }
      this.unknown.delete(prefix);
      entry = { tenantId: row.tenant_id, hash: row.key_hash, expires: now + this.ttlMs };
      remember(this.cache, prefix, entry, this.maxEntries);
    }
    if (entry.hash.length !== hash.length || !timingSafeEqual(entry.hash, hash)) return null;
    return { tenantId: entry.tenantId, keyPrefix: prefix };
  }
}

/** Map insertion order is age order: beyond the bound, the oldest entry goes. */
function remember<V>(map: Map<string, V>, key: string, value: V, maxEntries: number): void {
  map.delete(key);
  if (map.size >= maxEntries) map.delete(map.keys().next().value!);
  map.set(key, value);
}
