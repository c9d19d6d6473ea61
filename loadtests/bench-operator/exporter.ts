/**
 * The signals the benchmark's policies read, served for the real Prometheus to scrape
 * (job "bench", file_sd target written by the benchmark) and, for the health signals, a health
 * document per policy. Values change only when the benchmark says so: steady state is exactly
 * steady, so any API write then is the operator's own doing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const SIGNAL_METRIC = 'plimsoll_bench_signal';
export type SignalName = 'load' | 'latency';

export class SignalExporter {
  private readonly values = new Map<string, number>();
  private server: Server | undefined;
  /** Health documents served (the operator's health reads). */
  healthReads = 0;

  set(policy: string, signal: SignalName, value: number): void {
    this.values.set(`${policy}\u0000${signal}`, value);
  }

  /** The text exposition Prometheus scrapes. */
  exposition(): string {
    const lines = [`# TYPE ${SIGNAL_METRIC} gauge`];
    for (const [key, value] of this.values) {
      const [policy, signal] = key.split('\u0000');
      lines.push(`${SIGNAL_METRIC}{policy="${policy}",signal="${signal}"} ${value}`);
    }
    return `${lines.join('\n')}\n`;
  }

  async start(): Promise<number> {
    this.server = createServer((req, res) => {
      const url = req.url ?? '/';
      if (url === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(this.exposition());
      } else if (url.startsWith('/health/')) {
        this.healthReads++;
        // The fields the bench's health signal and the acknowledgement read: database.healthy
        // (a degradation trigger) and no runtimeGeneration, like a replica without a runtime client.
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', database: { healthy: true } }));
      } else {
        res.writeHead(404).end();
      }
    });
    // Keep-alive connections from Prometheus and the operator outlive a request: do not let them hold the process.
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }
}
