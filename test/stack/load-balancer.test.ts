// The local stack's load balancer against real HTTP servers on loopback: per-request balancing
// over keep-alive client connections, pass-through of status, headers and streamed bodies,
// retries only for idempotent requests, and clear 502s.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { LoadBalancer } from '../../tools/stack/replica-runner/load-balancer.js';

interface Backend { id: string; port: number; server: http.Server; seen: http.IncomingMessage[] }

async function backend(id: string, handler?: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<Backend> {
  const seen: http.IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req);
    if (handler) return handler(req, res);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id, method: req.method, url: req.url }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { id, port: (server.address() as AddressInfo).port, server, seen };
}

/** A port nothing listens on: bound, then closed. */
async function deadPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** One request over a given agent (keepAlive: the same TCP connection every time). */
function request(url: string, options: http.RequestOptions & { body?: string | Buffer } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; rawHeaders: string[]; body: string; socketPort: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body, socketPort: req.socket?.localPort ?? 0 }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('local load balancer', () => {
  let a: Backend, b: Backend, c: Backend;
  let lb: LoadBalancer;
  let url: string;
  before(async () => {
    [a, b, c] = await Promise.all([backend('a'), backend('b'), backend('c')]);
    lb = new LoadBalancer({ hint: () => 'test hint' });
    url = await lb.listen(0);
  });
  after(async () => {
    await lb.close();
    for (const x of [a, b, c]) x.server.close();
  });

  it('balances every request, not every connection: one keep-alive connection reaches all replicas', async () => {
    lb.setUpstreams([a, b, c].map((x) => ({ id: x.id, host: '127.0.0.1', port: x.port })));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const counts = new Map<string, number>();
    const sockets = new Set<number>();
    for (let i = 0; i < 30; i++) {
      const r = await request(`${url}/v1/jobs?i=${i}`, { agent });
      assert.equal(r.status, 200);
      const id = (JSON.parse(r.body) as { id: string }).id;
      assert.equal(r.headers['x-plimsoll-replica'], id);
      counts.set(id, (counts.get(id) ?? 0) + 1);
      sockets.add(r.socketPort);
    }
    agent.destroy();
    assert.equal(sockets.size, 1, 'the client kept one connection');
    assert.deepEqual([...counts.keys()].sort(), ['a', 'b', 'c']);
    // Sequential requests: nothing is outstanding, so round-robin gives each exactly a third.
    assert.deepEqual([...counts.values()], [10, 10, 10]);
  });

  it('prefers the replica with the fewest outstanding requests', async () => {
    const held: http.ServerResponse[] = [];
    const holding = (id: string) => backend(id, (req, res) => {
      if (req.url === '/hold') held.push(res);
      else res.end(id);
    });
    const [x, y] = await Promise.all([holding('x'), holding('y')]);
    lb.setUpstreams([x, y].map((u) => ({ id: u.id, host: '127.0.0.1', port: u.port })));
    try {
      const agent = new http.Agent({ keepAlive: true });
      const pending = request(`${url}/hold`, { agent });
      while (held.length === 0) await new Promise((r) => setTimeout(r, 5));
      const busy = x.seen.length === 1 ? 'x' : 'y';
      const ids = new Set<string>();
      for (let i = 0; i < 10; i++) ids.add((await request(`${url}/quick`, { agent })).body);
      assert.deepEqual([...ids], [busy === 'x' ? 'y' : 'x'], 'every request went to the idle replica');
      held[0]!.end('released');
      assert.equal((await pending).body, 'released');
      agent.destroy();
    } finally {
      x.server.close();
      y.server.close();
    }
  });

  it('passes status, repeated headers, HEAD and request/response bodies through; drops hop-by-hop headers; adds X-Forwarded-*', async () => {
    const echo = await backend('echo', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        res.writeHead(201, 'Made It', [
          'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-Custom', 'yes', 'Connection', 'keep-alive, X-Private', 'X-Private', 'hidden',
          'Content-Type', 'application/octet-stream', 'Content-Length', String(body.length),
          'X-Seen', JSON.stringify({ xff: req.headers['x-forwarded-for'], xfh: req.headers['x-forwarded-host'], te: req.headers['x-hop'], custom: req.headers['x-request-id'], host: req.headers.host }),
        ]);
        res.end(req.method === 'HEAD' ? undefined : body);
      });
    });
    lb.setUpstreams([{ id: 'echo', host: '127.0.0.1', port: echo.port }]);
    try {
      const payload = Buffer.alloc(1 << 20, 7);
      const r = await request(`${url}/v1/resumes`, { method: 'POST', body: payload, headers: { 'content-type': 'application/json', 'x-request-id': 'r-1', connection: 'keep-alive, x-hop', 'x-hop': 'gone', 'x-forwarded-for': '203.0.113.9' } });
      assert.equal(r.status, 201);
      assert.equal(r.body.length, payload.length);
      assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2']);
      assert.equal(r.headers['x-custom'], 'yes');
      assert.equal(r.headers['x-private'], undefined, 'a header named by Connection is hop-by-hop');
      const seen = JSON.parse(String(r.headers['x-seen'])) as Record<string, string | undefined>;
      assert.equal(seen.xff, '203.0.113.9, 127.0.0.1');
      assert.equal(seen.te, undefined);
      assert.equal(seen.custom, 'r-1');
      assert.equal(seen.host, new URL(url).host, 'Host is preserved');
      assert.equal(seen.xfh, new URL(url).host);
      const head = await request(`${url}/v1/resumes`, { method: 'HEAD' });
      assert.equal(head.status, 201);
      assert.equal(head.body, '');
    } finally {
      echo.server.close();
    }
  });

  it('streams a response as the replica writes it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const streaming = await backend('stream', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first;');
      void gate.then(() => res.end('second'));
    });
    lb.setUpstreams([{ id: 'stream', host: '127.0.0.1', port: streaming.port }]);
    try {
      const firstChunk = await new Promise<{ chunk: string; rest: Promise<string> }>((resolve, reject) => {
        http.get(`${url}/stream`, (res) => {
          res.setEncoding('utf8');
          res.once('data', (chunk: string) => {
            let rest = '';
            const done = new Promise<string>((r) => { res.on('data', (c: string) => (rest += c)); res.on('end', () => r(rest)); });
            resolve({ chunk, rest: done });
          });
        }).on('error', reject);
      });
      // The first chunk arrived while the replica still holds the response open.
      assert.equal(firstChunk.chunk, 'first;');
      release();
      assert.equal(await firstChunk.rest, 'second');
    } finally {
      streaming.server.close();
    }
  });

  it('retries a GET on another replica when the connection is refused, but answers 502 for a POST', async () => {
    const dead = await deadPort();
    lb.setUpstreams([{ id: 'dead', host: '127.0.0.1', port: dead }, { id: 'a', host: '127.0.0.1', port: a.port }]);
    const before = lb.stats().retries;
    for (let i = 0; i < 6; i++) {
      const r = await request(`${url}/v1/jobs`);
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-plimsoll-replica'], 'a');
    }
    assert.ok(lb.stats().retries > before, 'some GETs went to the dead replica first and were retried');
    lb.setUpstreams([{ id: 'dead', host: '127.0.0.1', port: dead }]);
    const post = await request(`${url}/v1/analyses`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(post.status, 502);
    const error = (JSON.parse(post.body) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'UPSTREAM_FAILED');
    assert.match(error.message, /replica dead .* ECONNREFUSED/);
    assert.equal(a.seen.filter((r) => r.method === 'POST').length, 0, 'the POST was not sent anywhere else');
  });

  it('a replica dying mid-request: a POST with an Idempotency-Key is sent again, same body, to another replica; one without gets 502', async () => {
    // The replica reads the whole request, then dies before answering (kill -9 mid-request).
    const dying = await backend('dying', (req) => { req.resume(); req.on('end', () => req.socket.destroy()); });
    const bodies: string[] = [];
    const alive = await backend('alive', (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => { bodies.push(body); res.writeHead(201, { 'content-type': 'application/json' }).end(body); });
    });
    try {
      const payload = JSON.stringify({ resumeId: 'r'.repeat(40_000), jobId: 'j' });
      const keyed = { method: 'POST', body: payload, headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1' } };
      for (let i = 0; i < 4; i++) {
        lb.setUpstreams([{ id: 'dying', host: '127.0.0.1', port: dying.port }, { id: 'alive', host: '127.0.0.1', port: alive.port }]);
        const r = await request(`${url}/v1/analyses`, keyed);
        assert.equal(r.status, 201, r.body);
        assert.equal(r.headers['x-plimsoll-replica'], 'alive');
        assert.equal(r.body, payload);
      }
      assert.ok(dying.seen.length > 0, 'some POSTs reached the dying replica first');
      assert.ok(bodies.every((b) => b === payload), 'the retry carried the whole body');

      lb.setUpstreams([{ id: 'dying', host: '127.0.0.1', port: dying.port }]);
      const unkeyed = await request(`${url}/v1/analyses`, { method: 'POST', body: payload, headers: { 'content-type': 'application/json' } });
      assert.equal(unkeyed.status, 502);
      assert.match(unkeyed.body, /UPSTREAM_FAILED.*ECONNRESET/);
    } finally {
      dying.server.close();
      alive.server.close();
    }
  });

  it('answers 502 NO_READY_REPLICA with a JSON error and Retry-After when no replica is ready', async () => {
    lb.setUpstreams([]);
    const r = await request(`${url}/v1/jobs`);
    assert.equal(r.status, 502);
    assert.equal(r.headers['retry-after'], '1');
    assert.match(String(r.headers['content-type']), /application\/json/);
    const body = JSON.parse(r.body) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'NO_READY_REPLICA');
    assert.match(body.error.message, /no matcher replica is ready.*test hint/);
  });

  it('sends to a terminating replica only while no other is ready (serving-terminating fallback)', async () => {
    lb.setUpstreams([{ id: 'a', host: '127.0.0.1', port: a.port, terminating: true }, { id: 'b', host: '127.0.0.1', port: b.port }]);
    const ids = new Set<string>();
    for (let i = 0; i < 6; i++) ids.add(String((await request(`${url}/x`)).headers['x-plimsoll-replica']));
    assert.deepEqual([...ids], ['b']);
    lb.setUpstreams([{ id: 'a', host: '127.0.0.1', port: a.port, terminating: true }]);
    const r = await request(`${url}/x`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-plimsoll-replica'], 'a');
    assert.deepEqual(lb.stats().upstreams.map((u) => [u.id, u.terminating]), [['a', true]]);
  });

  it('does not forward /metrics (Prometheus scrapes each replica)', async () => {
    lb.setUpstreams([{ id: 'a', host: '127.0.0.1', port: a.port }]);
    const seenBefore = a.seen.length;
    const r = await request(`${url}/metrics`);
    assert.equal(r.status, 404);
    assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'NOT_FORWARDED');
    assert.equal(a.seen.length, seenBefore);
  });

  it('lets requests in flight to a removed replica finish', async () => {
    let finish!: () => void;
    const slow = await backend('draining', (_req, res) => { finish = () => res.end('finished'); });
    lb.setUpstreams([{ id: 'draining', host: '127.0.0.1', port: slow.port }]);
    try {
      const pending = request(`${url}/long`);
      while (slow.seen.length === 0) await new Promise((r) => setTimeout(r, 5));
      lb.setUpstreams([{ id: 'a', host: '127.0.0.1', port: a.port }]);
      assert.equal((await request(`${url}/next`)).headers['x-plimsoll-replica'], 'a');
      finish();
      const r = await pending;
      assert.equal(r.body, 'finished');
      assert.equal(r.headers['x-plimsoll-replica'], 'draining');
    } finally {
      slow.server.close();
    }
  });
});
