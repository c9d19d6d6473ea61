/**
 * A pass-through in front of the real Prometheus for the operator's queries. It counts them
 * (Prometheus's own counter counts every client on this shared machine) and tells the latency
 * tracker when an answer carried a value, which is when the operator read it: the reconcile's own
 * latency is measured from there, apart from the polling interval's wait.
 */
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type AnswerListener = (query: string, value: number, atMs: number) => void;

/** The first sample's value of an instant-query answer, if it has one. */
export function firstValue(body: string): number | undefined {
  try {
    const parsed = JSON.parse(body) as { data?: { result?: Array<{ value?: [number, string] }> } };
    const raw = parsed.data?.result?.[0]?.value?.[1];
    return raw === undefined ? undefined : Number(raw);
  } catch {
    return undefined;
  }
}

export class PrometheusProxy {
  private server: Server | undefined;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });
  queries = 0;
  failures = 0;
  listener: AnswerListener | undefined;

  constructor(private readonly upstream: URL) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const isQuery = (req.url ?? '').startsWith('/api/v1/query?');
      if (isQuery) this.queries++;
      const upstream = request({
        host: this.upstream.hostname, port: this.upstream.port, path: req.url, method: req.method,
        // Identity encoding, so the proxy can read the answer's value (Prometheus gzips when asked).
        headers: { ...req.headers, host: this.upstream.host, 'accept-encoding': 'identity' }, agent: this.agent,
      }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          res.writeHead(answer.statusCode ?? 502, answer.headers).end(body);
          if (!isQuery || !this.listener) return;
          const value = firstValue(body.toString('utf8'));
          const query = new URL(req.url!, 'http://x').searchParams.get('query') ?? '';
          if (value !== undefined) this.listener(query, value, Date.now());
        });
      });
      upstream.on('error', (err) => {
        this.failures++;
        if (!res.headersSent) res.writeHead(502).end(String(err));
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }
}
