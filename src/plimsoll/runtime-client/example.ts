// The README's example, verbatim: a small express + pg + BullMQ service governed by Plimsoll.
// test/cluster/runtime-client-example.test.ts runs it against the real API server, PostgreSQL
// (through PgBouncer) and Redis.
import { Queue, Worker } from 'bullmq';
import express from 'express';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ConfigMapRuntimeSource, ResizablePool, RuntimeClient, serviceLevelMiddleware } from './index.js';

export async function startShop(o: { databaseUrl: string; redis: { host: string; port: number }; namespace: string; kubeconfig?: string; port: number }) {
  const logger = pino({ level: 'warn' });
  const registry = new Registry();
  const pool = new ResizablePool({ connectionString: o.databaseUrl, max: 2, hardMax: 20 });
  const connection = { ...o.redis, maxRetriesPerRequest: null };
  const emails = new Queue('emails', { connection, prefix: o.namespace });
  const worker = new Worker('emails', async (job) => { await pool.query('SELECT $1::text', [job.data.to]); }, { connection, prefix: o.namespace, concurrency: 1 });
  const runtime = new RuntimeClient({
    source: new ConfigMapRuntimeSource({ name: 'shop-runtime', namespace: o.namespace, kubeConfig: o.kubeconfig, logger }),
    pool, queues: { emails: { queue: emails, worker } }, registry, logger, metricPrefix: 'shop',
  });
  await runtime.start();
  const app = express().use(express.json(), serviceLevelMiddleware(runtime.levels));
  app.get('/health/details', (_req, res) => { res.json(runtime.health()); });
  app.get('/metrics', async (_req, res) => { res.type(registry.contentType).send(await registry.metrics()); });
  app.post('/orders', async (req, res) => {
    const { rows } = await pool.query('SELECT now() AS placed_at');
    await emails.add('confirmation', { to: req.body.email });
    res.status(201).json({ placedAt: rows[0]?.placed_at });
  });
  return { server: app.listen(o.port), runtime, pool, emails, worker };
}
