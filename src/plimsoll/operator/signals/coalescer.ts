/**
 * Identical reads within one polling window are asked once: every caller with the same key in
 * the same window shares the one request — while it is in flight and, after, its answer or its
 * error. The key includes the window's time bucket (floor(now / window)), so the next window
 * asks again.
 *
 * A shared answer is also reused for at most half a window after it was asked: a policy's own
 * next poll comes about one window later (a little sooner when its requeue timer fires early),
 * so it always gets a new answer — never the one it already has, which would make one outage
 * count as two consecutive failures. Any number of policies polling one query cost at most two
 * requests per window.
 */
import type { PollWindow } from './source.js';

interface Entry<T> {
  expiresAt: number;
  result: Promise<T>;
}

export class Coalescer<T> {
  private readonly entries = new Map<string, Entry<T>>();

  share(key: string, window: PollWindow | undefined, load: () => Promise<T>): Promise<T> {
    if (!window) return load();
    const { now, ms } = window;
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
    const bucket = Math.floor(now / ms);
    const bucketKey = `${ms}\u0000${bucket}\u0000${key}`;
    const hit = this.entries.get(bucketKey);
    if (hit) return hit.result;
    const result = load();
    // The cache's own copy must not be an unhandled rejection; each caller still gets the error.
    result.catch(() => undefined);
    this.entries.set(bucketKey, { expiresAt: Math.min((bucket + 1) * ms, now + ms / 2), result });
    return result;
  }

  /** Entries kept (for tests). */
  get size(): number {
    return this.entries.size;
  }
}
