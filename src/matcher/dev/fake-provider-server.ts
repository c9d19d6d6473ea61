import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { analyse } from '../analysis/analyse.js';

/**
 * A stand-in for an OpenAI-compatible provider, run by us (`matcher-dev fake-provider`): the same
 * /v1/chat/completions API with a configurable latency distribution, error rate, unusable-reply
 * rate and rate limit (429 + Retry-After), switchable at runtime into outage or brownout with
 * POST /admin/mode. Its answers are the local matcher's analysis of the documents in the
 * prompt, so tests can check that an answer is right whichever path produced it.
 */
export const fakeProviderSettingsSchema = z.object({
  name: z.string().min(1).default('fake'),
  mode: z.enum(['normal', 'outage', 'brownout']).default('normal'),
  /** Median latency; the distribution spreads around it. */
  latencyMs: z.number().min(0).default(200),
  distribution: z.enum(['fixed', 'uniform', 'lognormal']).default('lognormal'),
  /** uniform: ± jitter; lognormal: sigma of ln(latency). */
  jitterMs: z.number().min(0).default(100),
  sigma: z.number().min(0).max(3).default(0.35),
  errorRate: z.number().min(0).max(1).default(0),
  invalidRate: z.number().min(0).max(1).default(0),
  /** Requests per window before 429s; 0 = unlimited. */
  rateLimit: z.number().int().min(0).default(0),
  rateWindowMs: z.number().int().min(1).default(60_000),
  /** Outage: 503 at once ('error') or never answer until the client gives up ('hang'). */
  outage: z.enum(['error', 'hang']).default('error'),
  brownoutLatencyFactor: z.number().min(1).default(8),
  brownoutErrorRate: z.number().min(0).max(1).default(0.5),
});
export type FakeProviderSettings = z.infer<typeof fakeProviderSettingsSchema>;

export interface FakeProviderStats { requests: number; ok: number; errors: number; invalid: number; rateLimited: number; inFlight: number; maxInFlight: number }

const userMessage = z.object({
  resume: z.object({ headline: z.string().nullable().optional(), content: z.string() }),
  job: z.object({ title: z.string(), description: z.string(), requiredSkills: z.array(z.string()).default([]), preferredSkills: z.array(z.string()).default([]) }),
});

export class FakeProviderServer {
  settings: FakeProviderSettings;
  readonly stats: FakeProviderStats = { requests: 0, ok: 0, errors: 0, invalid: 0, rateLimited: 0, inFlight: 0, maxInFlight: 0 };
  private server: Server | undefined;
  private windowStart = Date.now();
  private windowCount = 0;
  private readonly hanging = new Set<ServerResponse>();

  constructor(settings: Partial<FakeProviderSettings> = {}) {
    this.settings = fakeProviderSettingsSchema.parse(settings);
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    }));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    return `http://${host}:${(this.server.address() as AddressInfo).port}`;
  }

  /** Changes settings live (what POST /admin/mode does). */
  set(patch: Partial<FakeProviderSettings>): FakeProviderSettings {
    this.settings = fakeProviderSettingsSchema.parse({ ...this.settings, ...patch });
    if (this.settings.mode !== 'outage') for (const r of this.hanging) r.destroy();
    return this.settings;
  }

  async close(): Promise<void> {
    for (const r of this.hanging) r.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private latency(): number {
    const s = this.settings;
    const base = s.mode === 'brownout' ? s.latencyMs * s.brownoutLatencyFactor : s.latencyMs;
    if (s.distribution === 'fixed') return base;
    if (s.distribution === 'uniform') return Math.max(0, base - s.jitterMs + Math.random() * 2 * s.jitterMs);
    const u1 = Math.random() || 1e-9;
    const normal = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * Math.random());
    return base * Math.exp(s.sigma * normal);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = (req.url ?? '/').split('?')[0];
    const body = await readBody(req);
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));
    };
    if (url === '/admin/mode' && req.method === 'POST') {
      // Merge first, then validate: a partial schema would fill the absent fields with defaults.
      const patch = safeJson(body);
      if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return json(400, { error: 'send a JSON object of settings' });
      const parsed = fakeProviderSettingsSchema.strict().safeParse({ ...this.settings, ...patch });
      if (!parsed.success) return json(400, { error: parsed.error.issues });
      this.set(parsed.data);
      return json(200, this.settings);
    }
    if (url === '/admin/stats' && req.method === 'GET') return json(200, { settings: this.settings, stats: this.stats });
    if (url === '/admin/reset' && req.method === 'POST') {
      Object.assign(this.stats, { requests: 0, ok: 0, errors: 0, invalid: 0, rateLimited: 0, maxInFlight: this.stats.inFlight });
      return json(200, this.stats);
    }
    if (url === '/healthz') return json(200, { ok: true });
    if (req.method !== 'POST' || !(url === '/v1/chat/completions' || url === '/chat/completions')) return json(404, { error: { message: 'not found' } });

    this.stats.requests++;
    const s = this.settings;
    if (s.rateLimit > 0) {
      const now = Date.now();
      if (now - this.windowStart >= s.rateWindowMs) { this.windowStart = now; this.windowCount = 0; }
      if (this.windowCount >= s.rateLimit) {
        this.stats.rateLimited++;
        const retry = Math.max(1, Math.ceil((this.windowStart + s.rateWindowMs - now) / 1000));
        return json(429, { error: { message: 'rate limit exceeded', type: 'rate_limit_error' } }, { 'retry-after': String(retry) });
      }
      this.windowCount++;
    }
    if (s.mode === 'outage') {
      this.stats.errors++;
      if (s.outage === 'hang') {
        this.hanging.add(res);
        res.on('close', () => this.hanging.delete(res));
        return;
      }
      return json(503, { error: { message: 'provider outage (simulated)' } });
    }
    this.stats.inFlight++;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.stats.inFlight);
    try {
      await new Promise((r) => setTimeout(r, this.latency()));
      const errorRate = s.mode === 'brownout' ? Math.max(s.errorRate, s.brownoutErrorRate) : s.errorRate;
      if (Math.random() < errorRate) {
        this.stats.errors++;
        return json(500, { error: { message: 'internal error (simulated)' } });
      }
      const request = safeJson(body) as { messages?: { role: string; content: string }[] } | undefined;
      const user = userMessage.safeParse(safeJson(request?.messages?.find((m) => m.role === 'user')?.content ?? ''));
      if (!user.success) return json(400, { error: { message: 'the user message must be the matcher\'s JSON prompt' } });
      if (Math.random() < s.invalidRate) {
        this.stats.invalid++;
        return json(200, completion(s.name, 'I think this candidate is a good fit!'));
      }
      const r = analyse({ content: user.data.resume.content, headline: user.data.resume.headline ?? null },
        { title: user.data.job.title, description: user.data.job.description, requiredSkills: user.data.job.requiredSkills, preferredSkills: user.data.job.preferredSkills });
      this.stats.ok++;
      return json(200, completion(s.name, JSON.stringify({
        matchPercentage: r.matchPercentage, verdict: r.verdict, strengths: r.strengths.length ? r.strengths : ['(none stated)'],
        gaps: r.gaps, explanation: `${s.name}: ${r.explanation}`, interviewQuestions: r.interviewQuestions,
      })));
    } finally {
      this.stats.inFlight--;
    }
  }
}

function completion(model: string, content: string) {
  return {
    id: `chatcmpl-${Math.random().toString(36).slice(2)}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
