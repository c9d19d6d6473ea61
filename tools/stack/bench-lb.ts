/**
 * DEVELOPMENT HARNESS benchmark (`make bench-lb`): what the local load balancer costs. The same
 * autocannon load straight at an upstream and through the balancer (each in its own process, as
 * in the stack), for a bare node:http server (the balancer's own overhead) and a real matcher
 * process (an authenticated, database-backed GET). Prints one JSON line per run and the ratios.
 * Timing targets belong here, not in tests: on two cores autocannon, the balancer and the
 * upstream compete for CPU, so the ratio is the worst case.
 *
 *   node --import tsx tools/stack/bench-lb.ts [--duration 10] [--connections 50]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { LoadBalancer } from './replica-runner/load-balancer.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SELF = fileURLToPath(import.meta.url);

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function waitFor(url: string, process: ChildProcess, seconds = 30): Promise<void> {
  for (let i = 0; i < seconds * 10; i++) {
    if (process.exitCode !== null) throw new Error(`the process behind ${url} exited with code ${process.exitCode} (its stderr is above)`);
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      if (r.status < 500) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${seconds} s`);
}

function child(args: string[], env: Record<string, string> = {}): ChildProcess {
  const c = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  process.on('exit', () => c.kill('SIGKILL'));
  return c;
}

async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null) return;
  c.kill('SIGTERM');
  await new Promise((r) => c.once('exit', r));
}

async function load(url: string, headers: Record<string, string>, duration: number, connections: number) {
  const result = await autocannon({ url, headers, duration, connections, pipelining: 1 });
  const errors = result.errors + result.timeouts + result.non2xx;
  return { rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99, errors };
}

async function bench(): Promise<void> {
  const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' } } });
  const duration = Number(values.duration);
  const connections = Number(values.connections);
  const bin = join(ROOT, 'dist', 'src', 'matcher', 'cli', 'bin.js');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run make build`);
  const keys = join(ROOT, '.local', 'seed-keys.json');
  const key = existsSync(keys) ? (JSON.parse(readFileSync(keys, 'utf8')) as { tenants: Array<{ apiKey: string }> }).tenants[0]?.apiKey : undefined;

  const upstreams: Array<{ name: string; path: string; headers: Record<string, string>; start: (port: number) => ChildProcess }> = [
    { name: 'bare node:http', path: '/', headers: {}, start: (port) => child(['--import', 'tsx', SELF, 'bare', String(port)]) },
    {
      name: key ? 'matcher GET /v1/jobs?limit=20' : 'matcher GET /healthz', path: key ? '/v1/jobs?limit=20' : '/healthz',
      headers: key ? { authorization: `Bearer ${key}` } : {},
      // One tenant at full speed: its rate limit is lifted, or the bench would measure 429s.
      start: (port) => child([bin, 'serve', '--port', String(port)], { MATCHER_LOG_LEVEL: 'warn', MATCHER_TENANT_RATE_LIMIT: '10000000', MATCHER_PROVIDERS: '[]' }),
    },
  ];
  for (const u of upstreams) {
    const upstreamPort = await freePort();
    const lbPort = await freePort();
    process.stderr.write(`[bench-lb] ${u.name}: starting the upstream on :${upstreamPort} and the balancer on :${lbPort}\n`);
    const upstream = u.start(upstreamPort);
    const lb = child(['--import', 'tsx', SELF, 'lb', String(lbPort), String(upstreamPort)]);
    try {
      await waitFor(`http://127.0.0.1:${upstreamPort}${u.path}`, upstream);
      await waitFor(`http://127.0.0.1:${lbPort}${u.path}`, lb);
      // Warm both paths (JIT, pools, keep-alive sockets) before measuring.
      await load(`http://127.0.0.1:${upstreamPort}${u.path}`, u.headers, 2, connections);
      await load(`http://127.0.0.1:${lbPort}${u.path}`, u.headers, 2, connections);
      process.stderr.write(`[bench-lb] ${u.name}: direct, ${duration} s × ${connections} connections\n`);
      const direct = await load(`http://127.0.0.1:${upstreamPort}${u.path}`, u.headers, duration, connections);
      process.stderr.write(`[bench-lb] ${u.name}: through the balancer\n`);
      const via = await load(`http://127.0.0.1:${lbPort}${u.path}`, u.headers, duration, connections);
      console.log(JSON.stringify({ bench: 'load balancer overhead', upstream: u.name, connections, direct, throughBalancer: via,
        throughputRatio: Math.round((via.rps / direct.rps) * 100) / 100, addedP50Ms: Math.round((via.p50 - direct.p50) * 10) / 10, addedP99Ms: Math.round((via.p99 - direct.p99) * 10) / 10 }));
    } finally {
      await stop(lb);
      await stop(upstream);
    }
  }
}

// Child modes: the balancer and a bare server, each in a process of its own.
const [mode, a, b] = process.argv.slice(2);
if (mode === 'bare') {
  http.createServer({ keepAliveTimeout: 65_000 }, (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')).listen(Number(a), '127.0.0.1');
  process.once('SIGTERM', () => process.exit(0));
} else if (mode === 'lb') {
  const lb = new LoadBalancer();
  lb.setUpstreams([{ id: 'upstream', host: '127.0.0.1', port: Number(b) }]);
  await lb.listen(Number(a));
  process.once('SIGTERM', () => void lb.close().then(() => process.exit(0)));
} else {
  await bench();
}
