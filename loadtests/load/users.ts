/**
 * Closed-loop users on top of autocannon (MIT; k6 is AGPL). One autocannon connection is one
 * user: it sends a request, waits for the answer, thinks, and sends the next. autocannon has no
 * think time — its `connectionRate` is a whole number of requests per second per connection,
 * released in a burst at each second's tick, so 0.5 req/s (a 2 s think) cannot be expressed and
 * the load would arrive in lock-step — so this module defers each connection's next request by a
 * think time drawn uniformly from [0.5, 1.5] × thinkTimeSeconds, through autocannon's documented
 * `setupClient` hook. The deferral wraps three internals of autocannon 9's Client
 * (`_doRequest`, `timeoutTicker`, `pipelinedRequests`; `checkClientInternals` fails clearly if
 * a new version moves them); autocannon still owns the sockets, HTTP parsing, request timing and
 * timeouts. Users beyond the schedule's current count are parked with their socket closed; a
 * ramp wakes them one by one with a random first delay, so arrivals spread like real users'.
 */
import autocannon from 'autocannon';
import { mulberry32 } from '../../src/plimsoll/shared/random.js';
import { LoadTestError } from './errors.js';
import { classify, errorCode, header, type Failure } from './outcome.js';
import type { RequestRecord } from './records.js';
import { usersAt, type UserSchedule } from './schedule.js';
import type { RequestSpec, UserState, Workload } from './workload.js';

/** The private parts of autocannon's Client this module relies on (autocannon 9.0). */
interface ClientInternals extends autocannon.Client {
  _doRequest(): void;
  _connect(): void;
  _destroyConnection(): void;
  timeoutTicker: { reschedule(ms: number): void };
  pipelinedRequests: { clear(): void };
  destroyed: boolean;
}

export function checkClientInternals(client: autocannon.Client): asserts client is ClientInternals {
  const c = client as Partial<ClientInternals>;
  const missing: string[] = (['_doRequest', '_connect', '_destroyConnection'] as const).filter((m) => typeof c[m] !== 'function');
  if (typeof c.pipelinedRequests?.clear !== 'function') missing.push('pipelinedRequests.clear');
  // The request-timeout timer is created after setupClient runs: checked when first used.
  if (c.timeoutTicker !== undefined && typeof c.timeoutTicker.reschedule !== 'function') missing.push('timeoutTicker.reschedule');
  if (missing.length > 0) {
    throw new LoadTestError('AUTOCANNON_UNSUPPORTED', `this autocannon's Client lacks ${missing.join(', ')}, which the think-time hook needs (written for autocannon 9.0); pin autocannon 9 or adapt loadtests/load/users.ts`);
  }
}

export interface DriverOptions {
  target: string;
  schedule: UserSchedule;
  workload: Workload;
  timeoutSeconds: number;
  seed: number;
  /** Seconds since the run started. */
  clock: () => number;
  onRecord: (record: RequestRecord) => void;
}

export interface DriverStats {
  activeUsers: number;
  inFlight: number;
  autocannon?: { '2xx': number; non2xx: number; errors: number; timeouts: number };
}

/** Most setTimeout allows: a parked user's request timeout must never fire. */
const PARKED_MS = 2 ** 31 - 1;

type UserMode = 'parked' | 'thinking' | 'inflight';

class VirtualUser {
  mode: UserMode = 'parked';
  private timer: NodeJS.Timeout | undefined;
  private next: RequestSpec | undefined;
  private inflight: { spec: RequestSpec; sentAt: number; answer?: { status: number; body: string; headers: Record<string, string | string[]> } } | undefined;
  readonly state: UserState;

  constructor(readonly index: number, private readonly client: ClientInternals, private readonly send: () => void, private readonly d: Driver) {
    this.state = d.options.workload.user(index);
  }

  /** autocannon builds the next request: decide what this user asks. */
  build(req: autocannon.Request): autocannon.Request {
    const spec = this.d.options.workload.next(this.state, this.d.options.clock());
    this.next = spec;
    const headers: Record<string, string> = { ...(req.headers as Record<string, string>), authorization: `Bearer ${spec.key}` };
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    return { ...req, method: spec.method, path: spec.path, headers, body: spec.body ?? '' };
  }

  /** autocannon's onResponse (status, body, headers), called just before its 'response' event. */
  answer(status: number, body: string, headers: Record<string, string | string[]>): void {
    if (this.inflight) this.inflight.answer = { status, body, headers };
  }

  /** autocannon's 'response' event: the answer is complete, `durationMs` measured by autocannon. */
  responded(durationMs: number): void {
    const inflight = this.inflight;
    if (!inflight?.answer) return;
    const { status, body, headers } = inflight.answer;
    this.finish(classify({ status, headers, code: status >= 400 ? errorCode(body) : undefined }), durationMs, status, body, header(headers, 'x-analysis-source'));
  }

  /** A timeout or a broken connection while a request was out. */
  failed(failure: Failure): void {
    if (this.mode !== 'inflight' || !this.inflight) return;
    // autocannon keeps the lost request in its pipeline after a socket error: drop it, or the
    // next answer would be timed from the lost request's start.
    this.client.pipelinedRequests.clear();
    this.finish(classify(failure), (this.d.options.clock() - this.inflight.sentAt) * 1000, 0, undefined, undefined);
    this.afterAnswer();
  }

  private finish(outcome: ReturnType<typeof classify>, latencyMs: number, status: number, body: string | undefined, analysisSource: string | undefined): void {
    const { spec, sentAt } = this.inflight!;
    const doneAt = this.d.options.clock();
    this.inflight = undefined;
    this.mode = 'thinking';
    this.d.inFlight--;
    const { queued } = this.d.options.workload.answered(this.state, spec, { sentAt, doneAt, status, outcome: outcome.outcome, body, analysisSource });
    this.d.options.onRecord({ kind: spec.kind, sentAt, doneAt, latencyMs, ...outcome, ...(queued ? { queued } : {}) });
  }

  /**
   * autocannon wants this connection to send: after an answer (mode thinking, set by finish), or
   * after it (re)connected. Only the first is a cue to think and send again.
   */
  wantsToSend(): void {
    if (this.d.stopped) return;
    if (this.mode === 'inflight') {
      // Reconnected while a request was out: the server closed the connection (or autocannon
      // timed the request out and will say so synchronously after this call).
      queueMicrotask(() => this.failed({ failure: 'connection', message: 'the connection closed before the answer' }));
      return;
    }
    if (this.mode === 'thinking' && this.timer === undefined) this.afterAnswer();
  }

  private afterAnswer(): void {
    if (this.index >= this.d.active) return this.park();
    this.think(this.d.thinkMs());
  }

  private think(ms: number): void {
    this.mode = 'thinking';
    clearTimeout(this.timer);
    // The request timeout runs from the last send; a long think must not trip it.
    this.client.timeoutTicker.reschedule(ms + this.d.options.timeoutSeconds * 1000);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.d.stopped) return;
      if (this.index >= this.d.active) return this.park();
      const sentAt = this.d.options.clock();
      this.mode = 'inflight';
      this.d.inFlight++;
      this.send();
      this.inflight = { spec: this.next!, sentAt };
    }, ms);
  }

  park(): void {
    checkClientInternals(this.client);
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.mode === 'inflight') return; // parks when its answer arrives
    this.mode = 'parked';
    this.client.timeoutTicker.reschedule(PARKED_MS);
    // An idle keep-alive socket would be closed by the server and reopened by autocannon, over
    // and over: close it; wake() opens a new one.
    this.client._destroyConnection();
  }

  wake(firstDelayMs: number): void {
    if (this.mode !== 'parked') return;
    this.think(firstDelayMs);
    this.client._connect(); // calls _doRequest → wantsToSend, ignored while the think timer runs
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

class Driver {
  active = 0;
  inFlight = 0;
  stopped = false;
  readonly users: VirtualUser[] = [];
  private readonly random: () => number;

  constructor(readonly options: DriverOptions) {
    this.random = mulberry32(options.seed ^ 0x9e3779b9);
  }

  thinkMs(): number {
    return this.options.schedule.thinkTimeSeconds * 1000 * (0.5 + this.random());
  }

  /** Wake or park users to match the count due now. */
  adjust(target: number): void {
    const previous = this.active;
    this.active = Math.min(target, this.users.length);
    if (this.active > previous) {
      // New arrivals spread their first request over one think time, like users arriving.
      for (let i = previous; i < this.active; i++) this.users[i]!.wake(this.random() * this.options.schedule.thinkTimeSeconds * 1000);
    } else {
      for (let i = this.active; i < previous; i++) {
        const user = this.users[i]!;
        if (user.mode === 'thinking') user.park();
      }
    }
  }
}

export interface DriverHandle {
  stats(): DriverStats;
  /** Resolves when the schedule has run (or `abort` was called) and every request is answered. */
  done: Promise<DriverStats>;
  abort(reason: string): void;
}

/** Runs the schedule against `target`; records every request through `onRecord`. */
export function driveUsers(options: DriverOptions): DriverHandle {
  const driver = new Driver(options);
  const { schedule } = options;
  let abortReason: string | undefined;
  let finalStats: DriverStats['autocannon'];
  const connections = Math.max(1, schedule.maxUsers);

  let settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
  const finished = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  finished.catch(() => undefined); // awaited (and rethrown) once the schedule has run
  // Called outside a promise so a failing setupClient (AUTOCANNON_UNSUPPORTED) throws here.
  const instance = autocannon({
    url: options.target,
    connections,
    pipelining: 1,
    timeout: options.timeoutSeconds,
    // Stopped by us once the schedule ends and every answer is in.
    duration: schedule.durationSeconds + options.timeoutSeconds * 4 + 3600,
    setupClient(client) {
      checkClientInternals(client);
      const send = client._doRequest.bind(client);
      const user = new VirtualUser(driver.users.length, client, send, driver);
      driver.users.push(user);
      client._doRequest = () => user.wantsToSend();
      client.setRequests([{
        setupRequest: (req) => user.build(req),
        onResponse: (status, body, _context, headers) => user.answer(status, body, (headers ?? {}) as Record<string, string | string[]>),
      }]);
      client.on('response', (_status: number, _bytes: number, durationMs: number) => user.responded(durationMs));
      // Events the typings do not list (autocannon emits them per connection).
      const events = client as unknown as NodeJS.EventEmitter;
      events.on('connError', (error: Error) => user.failed({ failure: 'connection', message: error.message }));
      events.on('timeout', () => user.failed({ failure: 'timeout', message: `no answer within ${options.timeoutSeconds} s` }));
      // The constructor opens a socket after this hook; every user starts parked (socket closed)
      // and the scheduler wakes those due.
      queueMicrotask(() => user.park());
    },
  }, (error, result) => {
    if (error) return settle!.reject(error instanceof Error ? error : new Error(String(error)));
    finalStats = {
      '2xx': result['2xx'], non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts,
    };
    settle!.resolve();
  });

  const stats = (): DriverStats => ({ activeUsers: driver.active, inFlight: driver.inFlight, ...(finalStats ? { autocannon: finalStats } : {}) });

  const done = (async () => {
    // Let the queued park() of every new connection run before the first wake.
    await new Promise((resolve) => setImmediate(resolve));
    // The schedule: every quarter second, the users due now.
    await new Promise<void>((resolve) => {
      const tick = () => {
        const t = options.clock();
        if (abortReason !== undefined || t >= schedule.durationSeconds) {
          clearInterval(timer);
          return resolve();
        }
        driver.adjust(usersAt(schedule, t));
      };
      const timer = setInterval(tick, 250);
      tick();
    });
    // Drain: nobody starts a new request; wait for the answers still out (bounded by the timeout).
    driver.adjust(0);
    const drainUntil = Date.now() + (options.timeoutSeconds + 2) * 1000;
    while (driver.inFlight > 0 && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 50));
    driver.stopped = true;
    for (const user of driver.users) user.stop();
    instance.stop();
    await finished;
    return stats();
  })();

  return {
    stats,
    done,
    abort(reason: string) {
      abortReason ??= reason;
    },
  };
}
