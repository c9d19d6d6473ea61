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

/** Verifies keys against the database, with a short in-process cache (revocation takes ≤ ttl). */
export class ApiKeyVerifier {
  private readonly cache = new Map<string, CachedKey>();

  constructor(private readonly db: Database, private readonly ttlMs = 30_000, private readonly maxEntries = 10_000) {}

  async verify(presented: string | undefined): Promise<Principal | null> {
    if (!presented) return null;
    const match = KEY_PATTERN.exec(presented);
    if (!match) return null;
    const prefix = match[1]!;
    const hash = hashKey(presented);
    const now = Date.now();
    let entry = this.cache.get(prefix);
    if (!entry || entry.expires < now) {
      const { rows } = await this.db.query<{ tenant_id: string; key_hash: Buffer }>('fast', 'auth.key',
        'SELECT tenant_id, key_hash FROM api_keys WHERE key_prefix = $1 AND revoked_at IS NULL', [prefix]);
      const row = rows[0];
      if (!row) {
        this.cache.delete(prefix);
        return null;
      }
      entry = { tenantId: row.tenant_id, hash: row.key_hash, expires: now + this.ttlMs };
      if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(prefix, entry);
    }
    if (entry.hash.length !== hash.length || !timingSafeEqual(entry.hash, hash)) return null;
    return { tenantId: entry.tenantId, keyPrefix: prefix };
  }
}
