/**
 * DEVELOPMENT HARNESS — not part of the product. The local stand-in for the matcher Service:
 * an HTTP reverse proxy that balances every request (not every TCP connection: load generators
 * keep connections open, and a replica that just became ready must get traffic at once) over
 * the ready replica processes, least outstanding requests first, round-robin among equals.
 *
 * - One keep-alive http.Agent per upstream, so proxying adds no TCP handshake per request.
 * - Headers, status and bodies pass through as streams; hop-by-hop headers are dropped
 *   (RFC 9110 §7.6.1) and X-Forwarded-For/-Host/-Proto added. `X-Plimsoll-Replica` names the
 *   pod that answered (a debugging aid of this harness).
 * - A connection failure before any response (refused, or reset: a replica killed mid-request)
 *   is retried on another replica only for a request that is safe to send twice: GET/HEAD
 *   without a body, or any request carrying an `Idempotency-Key` (the matcher answers a replay
 *   with the first answer, docs/matcher.md), whose body (up to 1 MiB) is held to be sent again.
 *   Anything else gets 502 UPSTREAM_FAILED: the balancer cannot know whether it took effect.
 * - No ready replica: a terminating one still in its preStop serves (as kube-proxy falls back
 *   to serving-terminating endpoints), else 502 NO_READY_REPLICA with a JSON body naming what
 *   to look at.
 * - `/metrics` is not forwarded: Prometheus scrapes each replica itself (file_sd), and a
 *   balanced scrape would count one random replica twice under another instance.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Upstream {
  /** The pod name: stable identity, used in logs and the X-Plimsoll-Replica header. */
  id: string;
  host: string;
  port: number;
  /**
   * Terminating but still serving (its pod's preStop): used only while no other replica is
   * ready — kube-proxy's fallback to serving-terminating endpoints (ProxyTerminatingEndpoints).
   */
  terminating?: boolean;
}

interface UpstreamState extends Upstream {
  terminating: boolean;
  agent: http.Agent;
  outstanding: number;
  served: number;
  failures: number;
  /** Removed from the set: no new requests; its agent is destroyed once outstanding is 0. */
  retired: boolean;
}

export interface LoadBalancerStats {
  requests: number;
  retries: number;
  noReadyReplica: number;
  upstreamFailures: number;
  upstreams: Array<{ id: string; address: string; terminating: boolean; outstanding: number; served: number; failures: number }>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
/** The largest body held back so an idempotent request can be sent to another replica. */
const REPLAYABLE_BODY_BYTES = 1024 * 1024;

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ETIMEDOUT', 'EPIPE']);

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** rawHeaders without hop-by-hop headers (and those the Connection header names). */
function endToEnd(raw: string[]): string[] {
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'connection') for (const t of raw[i + 1]!.split(',')) named.add(t.trim().toLowerCase());
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(name) && !named.has(name)) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

function sendError(res: http.ServerResponse, status: number, code: string, message: string, retryAfter?: number): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message, details: [] }, serviceLevel: null });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...(retryAfter ? { 'retry-after': String(retryAfter) } : {}),
  });
  res.end(body);
}

export interface LoadBalancerOptions {
  /** Appended to the 502 message: what runs and where to look when no replica is ready. */
  hint?: () => string;
  /** Max sockets per upstream (default 512: a load test's connections all fit). */
  maxSocketsPerUpstream?: number;
  onUpstreamFailure?: (id: string, error: Error) => void;
}

export class LoadBalancer {
  private readonly upstreams = new Map<string, UpstreamState>();
  private readonly server: http.Server;
  private next = 0;
  private readonly counters = { requests: 0, retries: 0, noReadyReplica: 0, upstreamFailures: 0 };

  constructor(private readonly options: LoadBalancerOptions = {}) {
    this.server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => this.handle(req, res));
    // Node closes idle client sockets after keepAliveTimeout; headers must arrive within 60 s.
    this.server.headersTimeout = 60_000;
  }

  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.url;
  }

  get url(): string {
    const a = this.server.address() as AddressInfo;
    return `http://${a.address}:${a.port}`;
  }

  /** Replace the set of upstreams (ready, and terminating-but-serving); in-flight requests to removed ones finish. */
  setUpstreams(list: Upstream[]): void {
    const wanted = new Map(list.map((u) => [u.id, u]));
    for (const [id, state] of this.upstreams) {
      const w = wanted.get(id);
      if (!w || w.host !== state.host || w.port !== state.port) this.retire(id);
      else state.terminating = w.terminating ?? false;
    }
    for (const u of list) {
      if (this.upstreams.has(u.id)) continue;
      this.upstreams.set(u.id, {
        ...u, terminating: u.terminating ?? false, outstanding: 0, served: 0, failures: 0, retired: false,
        agent: new http.Agent({ keepAlive: true, maxSockets: this.options.maxSocketsPerUpstream ?? 512, maxFreeSockets: 256, scheduling: 'lifo' }),
      });
    }
  }

  get upstreamIds(): string[] {
    return [...this.upstreams.keys()];
  }

  stats(): LoadBalancerStats {
    return {
      ...this.counters,
      upstreams: [...this.upstreams.values()].map((u) => ({ id: u.id, address: `${u.host}:${u.port}`, terminating: u.terminating, outstanding: u.outstanding, served: u.served, failures: u.failures })),
    };
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      // In-flight requests get a moment; then everything is cut.
      setTimeout(() => this.server.closeAllConnections(), 2000).unref();
    });
    for (const id of [...this.upstreams.keys()]) this.retire(id);
  }

  private retire(id: string): void {
    const state = this.upstreams.get(id);
    if (!state) return;
    this.upstreams.delete(id);
    state.retired = true;
    if (state.outstanding === 0) state.agent.destroy();
  }

  /** Least outstanding requests; among equals, round-robin from a rotating start. Terminating ones only when no other is left. */
  private pick(exclude: Set<string>): UpstreamState | undefined {
    const candidates = [...this.upstreams.values()].filter((u) => !exclude.has(u.id));
    const ready = candidates.filter((u) => !u.terminating);
    const list = ready.length > 0 ? ready : candidates;
    if (list.length === 0) return undefined;
    const start = this.next++ % list.length;
    let best: UpstreamState | undefined;
    for (let i = 0; i < list.length; i++) {
      const u = list[(start + i) % list.length]!;
      if (!best || u.outstanding < best.outstanding) best = u;
    }
    return best;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.counters.requests++;
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      sendError(res, 404, 'NOT_FORWARDED', 'the local load balancer does not forward /metrics: Prometheus scrapes every replica directly (file_sd targets in .local/prometheus/targets/matcher-<pod>.json)');
      return;
    }
    const bodiless = (req.headers['content-length'] === undefined || req.headers['content-length'] === '0') && req.headers['transfer-encoding'] === undefined;
    const length = Number(req.headers['content-length'] ?? NaN);
    const keyed = req.headers['idempotency-key'] !== undefined && (bodiless || (Number.isFinite(length) && length <= REPLAYABLE_BODY_BYTES));
    const retryable = ((req.method === 'GET' || req.method === 'HEAD') && bodiless) || keyed;
    // A keyed request's body is read once and kept, so a retry can send it again.
    const heldBody: Promise<Buffer> | undefined = keyed && !bodiless ? readBody(req) : undefined;
    const headers = endToEnd(req.rawHeaders);
    const forwardedFor = req.headers['x-forwarded-for'];
    const client = req.socket.remoteAddress ?? '';
    const extra = ['X-Forwarded-For', forwardedFor ? `${String(forwardedFor)}, ${client}` : client, 'X-Forwarded-Proto', 'http'];
    if (req.headers.host) extra.push('X-Forwarded-Host', req.headers.host);
    // The incoming X-Forwarded-For is replaced by one that appends this client.
    const upstreamHeaders: string[] = [];
    for (let i = 0; i < headers.length; i += 2) if (!/^x-forwarded-for$/i.test(headers[i]!)) upstreamHeaders.push(headers[i]!, headers[i + 1]!);
    upstreamHeaders.push(...extra);
    const tried = new Set<string>();
    let clientGone = false;
    res.on('close', () => { clientGone = !res.writableFinished; });

    const attempt = (): void => {
      const upstream = this.pick(tried);
      if (!upstream) {
        if (tried.size === 0) {
          this.counters.noReadyReplica++;
          sendError(res, 502, 'NO_READY_REPLICA', `no matcher replica is ready behind the local load balancer${this.options.hint ? `: ${this.options.hint()}` : ''}`, 1);
        } else {
          sendError(res, 502, 'UPSTREAM_FAILED', `every ready replica refused the connection (${[...tried].join(', ')})`, 1);
        }
        return;
      }
      tried.add(upstream.id);
      upstream.outstanding++;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        upstream.outstanding--;
        if (upstream.retired && upstream.outstanding === 0) upstream.agent.destroy();
      };
      let responded = false;
      const upReq = http.request({
        host: upstream.host, port: upstream.port, method: req.method, path: req.url,
        headers: upstreamHeaders as unknown as http.OutgoingHttpHeaders, agent: upstream.agent, setHost: false,
      });
      upReq.on('response', (upRes) => {
        responded = true;
        upstream.served++;
        const out = endToEnd(upRes.rawHeaders);
        out.push('X-Plimsoll-Replica', upstream.id);
        // The replica's own Date header passes through; Node must not add a second one.
        res.sendDate = false;
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, out);
        upRes.pipe(res);
        upRes.on('end', release);
        upRes.on('error', () => { release(); res.destroy(); });
        upRes.on('close', release);
      });
      upReq.on('error', (err: NodeJS.ErrnoException) => {
        release();
        if (clientGone) return;
        if (responded) {
          res.destroy(err);
          return;
        }
        upstream.failures++;
        this.counters.upstreamFailures++;
        this.options.onUpstreamFailure?.(upstream.id, err);
        if (retryable && CONNECT_ERRORS.has(err.code ?? '')) {
          this.counters.retries++;
          attempt();
          return;
        }
        sendError(res, 502, 'UPSTREAM_FAILED', `replica ${upstream.id} (${upstream.host}:${upstream.port}) failed: ${err.code ?? err.message}`, 1);
      });
      res.on('close', () => {
        if (!res.writableFinished) upReq.destroy();
      });
      if (bodiless) upReq.end();
      else if (heldBody) void heldBody.then((body) => upReq.end(body), (err: Error) => upReq.destroy(err));
      else req.pipe(upReq);
    };
    attempt();
  }
}
