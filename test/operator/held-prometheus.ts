/**
 * A Prometheus query endpoint (GET /api/v1/query, the instant-vector answer shape) whose next
 * answer the test can hold back and release later: the way to freeze an operator in the middle
 * of a reconcile, which the real Prometheus cannot be made to do on cue. Every query reads one
 * value the test sets.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HeldPrometheus {
  address: string;
  /** The value every query answers with. */
  value: number;
  /** Hold the next query's answer; resolves when that query has arrived. */
  holdNext(): Promise<void>;
  /** Answer the held query with this value. */
  release(value: number): void;
  close(): Promise<void>;
}

export async function startHeldPrometheus(initial: number): Promise<HeldPrometheus> {
  let holding: { arrived: () => void } | undefined;
  let held: ServerResponse | undefined;
  const answer = (res: ServerResponse, value: number) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, String(value)] }] } }));
  };
  const server = createServer((req, res) => {
    if (!req.url?.startsWith('/api/v1/query')) return void res.writeHead(404).end();
    if (holding) {
      held = res;
      holding.arrived();
      holding = undefined;
      return;
    }
    answer(res, prometheus.value);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const prometheus: HeldPrometheus = {
    address: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    value: initial,
    holdNext: () => new Promise<void>((arrived) => { holding = { arrived }; }),
    release(value) {
      if (held) answer(held, value);
      held = undefined;
    },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  return prometheus;
}
