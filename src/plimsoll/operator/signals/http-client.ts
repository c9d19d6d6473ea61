/**
 * The one HTTP client of the signal sources (Prometheus, the matcher's health documents):
 * every GET has a deadline that includes waiting for a slot, and at most `hostConcurrency`
 * requests run at once per server (host:port), so a hung server holds only its own slots.
 */
import { PlimsollError } from '../../errors.js';
import { describeError, withDeadline } from './deadline.js';
import { KeyedLimiter } from './limiter.js';

export interface HttpAnswer {
  status: number;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  body: unknown;
}

/** The operator configuration's default (OPERATOR_SIGNAL_HOST_CONCURRENCY). */
export const DEFAULT_HOST_CONCURRENCY = 4;

export class SignalHttp {
  readonly limiter: KeyedLimiter;

  constructor(hostConcurrency = DEFAULT_HOST_CONCURRENCY) {
    this.limiter = new KeyedLimiter(hostConcurrency);
  }

  /** GET url as JSON within timeoutMs: SIGNAL_TIMEOUT past it, SIGNAL_FETCH_FAILED if unreachable. */
  getJson(url: URL, timeoutMs: number, what: string): Promise<HttpAnswer> {
    return withDeadline(timeoutMs, what, (signal) => this.limiter.run(url.host, signal, async () => {
      try {
        // A redirect is never followed: it could send the read to an address nobody registered.
        const response = await fetch(url, { signal, redirect: 'manual', headers: { accept: 'application/json' } });
        const text = await response.text();
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        return { status: response.status, body };
      } catch (err) {
        if (signal.aborted) throw signal.reason as Error;
        throw new PlimsollError('SIGNAL_FETCH_FAILED', `${what}: ${describeError(err)}`, { cause: err });
      }
    }));
  }
}
