/**
 * Failed authentications per client (its address), in fixed windows: past `limit` failures the
 * client is refused until its window ends. Per replica, in memory: it bounds the database round
 * trips one client's wrong or random keys cost each replica, and needs no shared store on the
 * path that rejects. Bounded: beyond maxClients the oldest client is forgotten.
 */
export class FailedAuthLimiter {
  private readonly windows = new Map<string, { started: number; failures: number }>();

  constructor(private readonly limit: number, private readonly windowMs: number, private readonly maxClients = 10_000, private readonly now: () => number = Date.now) {}

  /** Milliseconds until the client may try again; 0 when it may now. */
  retryAfterMs(client: string): number {
    const w = this.current(client);
    return w && w.failures >= this.limit ? w.started + this.windowMs - this.now() : 0;
  }

  fail(client: string): void {
    const w = this.current(client);
    if (w) {
      w.failures += 1;
      return;
    }
    if (this.windows.size >= this.maxClients) this.windows.delete(this.windows.keys().next().value!);
    this.windows.set(client, { started: this.now(), failures: 1 });
  }

  private current(client: string) {
    const w = this.windows.get(client);
    if (w && this.now() - w.started >= this.windowMs) {
      this.windows.delete(client);
      return undefined;
    }
    return w;
  }
}
