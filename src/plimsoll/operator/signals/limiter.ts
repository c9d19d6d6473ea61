/**
 * Bounded concurrency per key (a signal server's host:port, or one PgBouncer connection): at
 * most `limit` operations run at once, the others wait in order. A waiter whose AbortSignal
 * fires leaves the queue, so a hung server fills only its own slots, and whoever waits for
 * them gives up at its own deadline instead of queueing forever. (A dozen lines of our own
 * rather than p-limit: we need one queue per key and abortable waiting, which p-limit lacks.)
 */
interface Slots {
  active: number;
  waiting: Array<() => void>;
}

export class KeyedLimiter {
  private readonly slots = new Map<string, Slots>();

  constructor(private readonly limit: number) {}

  async run<T>(key: string, signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    await this.acquire(key, signal);
    try {
      // A slot handed over just as the waiter's deadline passed is given straight back.
      signal.throwIfAborted();
      return await work();
    } finally {
      this.release(key);
    }
  }

  /** Operations running and waiting for key (for tests and diagnostics). */
  load(key: string): { active: number; waiting: number } {
    const s = this.slots.get(key);
    return { active: s?.active ?? 0, waiting: s?.waiting.length ?? 0 };
  }

  private acquire(key: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    let slots = this.slots.get(key);
    if (!slots) this.slots.set(key, (slots = { active: 0, waiting: [] }));
    if (slots.active < this.limit) {
      slots.active++;
      return Promise.resolve();
    }
    const queue = slots.waiting;
    return new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        signal.removeEventListener('abort', abandon);
        resolve();
      };
      const abandon = (): void => {
        queue.splice(queue.indexOf(grant), 1);
        reject(signal.reason as Error);
      };
      queue.push(grant);
      signal.addEventListener('abort', abandon, { once: true });
    });
  }

  private release(key: string): void {
    const slots = this.slots.get(key);
    if (!slots) return;
    const next = slots.waiting.shift();
    // The slot passes straight to the next waiter; only an idle key is forgotten.
    if (next) return next();
    slots.active--;
    if (slots.active === 0) this.slots.delete(key);
  }
}
