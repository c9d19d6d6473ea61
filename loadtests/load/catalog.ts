/**
 * What the users can ask for: the seeded tenants' API keys (from `matcher-dev seed --out`), and per
 * tenant the resume and job ids and the analyses already stored, read through the API's own
 * listings before the load starts (not counted in the results).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { LoadTestError } from './errors.js';
import type { TenantCatalog } from './workload.js';

const keysFileSchema = z.object({
  tenants: z.array(z.object({ apiKey: z.string().min(10), tenant: z.string().optional() })).min(1, 'no tenants'),
});

export async function readKeys(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new LoadTestError('KEYS_INVALID', `cannot read the API keys file ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); run \`make seed\` (or make up), which writes it`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new LoadTestError('KEYS_INVALID', `${path} is not JSON; expected {"tenants": [{"apiKey": "plm_…"}]} as \`matcher-dev seed --out\` writes it`);
  }
  const parsed = keysFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new LoadTestError('KEYS_INVALID', `${path}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data.tenants.map((t) => t.apiKey);
}

interface Page<T> {
  data: T[];
  pagination: { hasMore: boolean; nextCursor?: string | null };
}

/** "GET /v1/resumes 200" → requests the discovery sent (the matcher counts them too). */
export type RequestTally = Record<string, number>;

async function listAll<T>(target: string, key: string, resource: string, max: number, tally: RequestTally): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null | undefined;
  let refusals = 0;
  for (;;) {
    const url = `${target}/v1/${resource}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    let res: Response;
    try {
      res = await fetch(url, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      throw new LoadTestError('DISCOVERY_FAILED', `GET ${url} failed: ${(error as Error).message}`);
    }
    const route = `GET /v1/${resource} ${res.status}`;
    tally[route] = (tally[route] ?? 0) + 1;
    // A replica that refuses for a moment (503 OVERLOADED near its CPU quota, 429) says when to
    // come back: paging through the catalogue fast is exactly what trips it.
    const retryAfter = Number(res.headers.get('retry-after'));
    if ((res.status === 503 || res.status === 429) && retryAfter > 0 && ++refusals <= 20) {
      await res.body?.cancel();
      await new Promise((done) => setTimeout(done, Math.min(retryAfter, 5) * 1000));
      continue;
    }
    if (res.status === 401) throw new LoadTestError('KEYS_INVALID', `the matcher at ${target} does not know the API key ${key.slice(0, 12)}…: the keys file belongs to another database (run make seed again)`);
    if (res.status !== 200) throw new LoadTestError('DISCOVERY_FAILED', `GET ${url}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
    const page = (await res.json()) as Page<T>;
    out.push(...page.data);
    cursor = page.pagination.hasMore ? page.pagination.nextCursor : undefined;
    if (!cursor || out.length >= max) return out;
  }
}

export interface DiscoveryLimits {
  /** Stored analyses read per tenant at most (each page is one request before the run). */
  maxAnalyses: number;
}

export async function discoverCatalog(target: string, keys: string[], limits: DiscoveryLimits = { maxAnalyses: 5000 }, tally: RequestTally = {}): Promise<TenantCatalog[]> {
  const tenants: TenantCatalog[] = [];
  for (const key of keys) {
    const resumes = await listAll<{ id: string }>(target, key, 'resumes', 100_000, tally);
    const jobs = await listAll<{ id: string }>(target, key, 'jobs', 100_000, tally);
    const stored = await listAll<{ id: string; resume: { id: string }; job: { id: string } }>(target, key, 'analyses', limits.maxAnalyses, tally);
    if (resumes.length === 0 || jobs.length === 0) {
      throw new LoadTestError('DISCOVERY_FAILED', `tenant with key ${key.slice(0, 12)}… has ${resumes.length} resumes and ${jobs.length} jobs; seed it first (make seed)`);
    }
    const tenant: TenantCatalog = { key, resumes: resumes.map((r) => r.id), jobs: jobs.map((j) => j.id), analysed: new Map(), analysedPairs: [], asked: new Set(), results: [] };
    for (const a of stored) {
      const pair = `${a.resume.id} ${a.job.id}`;
      if (tenant.analysed.has(pair)) continue;
      tenant.analysed.set(pair, a.id);
      tenant.analysedPairs.push(pair);
      tenant.results.push(a.id);
    }
    tenants.push(tenant);
  }
  return tenants;
}
