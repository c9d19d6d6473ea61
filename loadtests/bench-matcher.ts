/**
 * Matcher benchmark (numbers reported, not asserted): autocannon against
 *   1. a bare node:http server answering a constant (the machine's ceiling),
 *   2. GET /v1/analyses/:id (a stored analysis, through PgBouncer),
 *   3. POST /v1/analyses (load both documents, run the local matcher, store the result).
 * Loopback only, bounded duration, a fresh database dropped afterwards. `make bench-matcher`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { SampleData } from '../src/matcher/dev/sample-data.js';
import { api, startTestMatcher } from '../test/support/matcher.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

async function run(title: string, opts: autocannon.Options) {
  const result = await autocannon({ duration: DURATION, connections: CONNECTIONS, ...opts });
  const row = {
    title, 'req/s': Math.round(result.requests.average), 'p50 ms': result.latency.p50, 'p99 ms': result.latency.p99,
    'max ms': result.latency.max, '2xx': result['2xx'], 'non2xx': result.non2xx, errors: result.errors, timeouts: result.timeouts,
  };
  console.log(JSON.stringify(row));
  return row;
}

async function main() {
  const bare = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;

  const t = await startTestMatcher({ tenants: 1, env: { MATCHER_DB_POOL_MAX: '20', MATCHER_TENANT_RATE_LIMIT: '100000000' } });
  try {
    const key = t.tenants[0]!.key;
    const data = new SampleData(7);
    const resumes: string[] = [];
    const jobs: string[] = [];
    for (let i = 0; i < 50; i++) resumes.push((await api(t.url, 'POST', '/v1/resumes', { key, body: data.resume() })).body.data.id);
    for (let i = 0; i < 20; i++) jobs.push((await api(t.url, 'POST', '/v1/jobs', { key, body: data.job() })).body.data.id);
    const analysis = (await api(t.url, 'POST', '/v1/analyses', { key, body: { resumeId: resumes[0], jobId: jobs[0] } })).body.data.id as string;
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const bodies = resumes.flatMap((r, i) => jobs.slice(0, 4).map((j) => JSON.stringify({ resumeId: r, jobId: jobs[(i + jobs.indexOf(j)) % jobs.length] })));
    let n = 0;
    console.log(`duration ${DURATION}s, ${CONNECTIONS} connections, loopback, matcher pool max 20 via PgBouncer (transaction mode)`);
    const rows = [];
    rows.push(await run('bare node:http constant (ceiling)', { url: bareUrl }));
    rows.push(await run('GET /v1/analyses/:id (stored)', { url: `${t.url}/v1/analyses/${analysis}`, headers }));
    rows.push(await run('POST /v1/analyses (local matcher + insert)', {
      url: `${t.url}/v1/analyses`, method: 'POST', headers,
      requests: [{ setupRequest: (req) => ({ ...req, body: bodies[n++ % bodies.length]! }) }],
    }));
    console.table(rows);
  } finally {
    await t.close();
    bare.close();
  }
}

await main();
