import type { Redis } from 'ioredis';

/**
 * Per-tenant request rate limit in Redis, shared by every replica: a sliding window
 * approximated by two fixed windows (the previous window's count weighted by its remaining
 * overlap), in one Lua script so the check and the increment are atomic. A small script rather
 * than a new dependency: 20 lines, one round trip, no new package under others' running tests.
 * Redis down → fail open (the limit protects fairness, not the service: admission does that).
 */
const SCRIPT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local current = math.floor(now / window)
local curKey = KEYS[1] .. ':' .. current
local prevKey = KEYS[1] .. ':' .. (current - 1)
local prev = tonumber(redis.call('GET', prevKey) or '0')
local cur = tonumber(redis.call('GET', curKey) or '0')
local elapsed = (now % window) / window
local estimate = prev * (1 - elapsed) + cur
if estimate >= limit then
  return {0, math.ceil(window - (now % window))}
end
redis.call('INCR', curKey)
redis.call('PEXPIRE', curKey, window * 2)
return {1, 0}
`;

export class TenantRateLimiter {
  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly points: number, private readonly windowMs: number) {}

  /** { allowed, retryAfterMs } for one request of this tenant. */
  async take(tenantId: string): Promise<{ allowed: boolean; retryAfterMs: number }> {
    try {
      const [ok, retry] = (await this.redis.eval(SCRIPT, 1, `${this.prefix}:ratelimit:${tenantId}`, Date.now(), this.windowMs, this.points)) as [number, number];
      return { allowed: ok === 1, retryAfterMs: retry };
    } catch {
      return { allowed: true, retryAfterMs: 0 };
    }
  }
}
