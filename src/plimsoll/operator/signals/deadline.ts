/**
 * A deadline for one signal read. Past it the caller gets SIGNAL_TIMEOUT at once, whatever the
 * read was doing (waiting for a slot, connecting, reading a body), and the read's AbortSignal
 * fires so that it lets go of its resources (fetch stops, a PgBouncer client is closed).
 */
import { PlimsollError } from '../../errors.js';

export async function withDeadline<T>(timeoutMs: number, what: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const timeout = new PlimsollError('SIGNAL_TIMEOUT', `${what}: no answer within ${timeoutMs / 1000} s`);
      controller.abort(timeout);
      reject(timeout);
    }, timeoutMs);
  });
  try {
    // race() also handles a late rejection of work, so an abandoned read never goes unhandled.
    return await Promise.race([work(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** A read error as one line, with the network cause fetch hides behind "fetch failed". */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  return cause && cause !== err.message ? `${err.message} (${cause})` : err.message;
}
