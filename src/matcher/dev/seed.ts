import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CliCommand } from '../../plimsoll/shared/command-line.js';
import { parseOptions } from '../../plimsoll/shared/command-line.js';
import { PlimsollError } from '../../plimsoll/errors.js';
import { loadMatcherConfig } from '../config.js';
import { createTenant } from '../auth.js';
import { extractSkills } from '../analysis/extract.js';
import { defaultTaxonomy } from '../analysis/taxonomy.js';
import { Database } from '../db/database.js';
import { ResizablePool } from '../../plimsoll/runtime-client/pool.js';
import { SampleData } from './sample-data.js';

const usage = `Usage: matcher-dev seed [options]

Loads the skill taxonomy and deterministic sample data (tenants, resumes, job descriptions) into
the matcher database, through PgBouncer, and prints the tenants' API keys.

Options:
  --tenants N        tenants to create (default 3)
  --resumes N        resumes per tenant (default 150)
  --jobs N           job descriptions per tenant (default 50)
  --seed N           the generator's seed: the same seed gives the same data (default 42)
  --out FILE         also write the keys as JSON to FILE (e.g. .local/seed-keys.json)
  --database-url URL default: MATCHER_DATABASE_URL
  -h, --help         this text
`;

const positiveInt = (name: string, value: string | undefined, fallback: number, max: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new PlimsollError('USAGE', `--${name} must be an integer within 0..${max}`);
  return n;
};

/** Every option is a string: counts are checked by positiveInt, the URL by the pool. */
const options = {
  tenants: { type: 'string' }, resumes: { type: 'string' }, jobs: { type: 'string' }, seed: { type: 'string' },
  out: { type: 'string' }, 'database-url': { type: 'string' },
} as const;

export const seedCommand: CliCommand = {
  name: 'seed',
  summary: 'load sample tenants, resumes and jobs into the matcher database',
  usage,
  async run(argv, io) {
    const values = parseOptions('matcher-dev seed', argv, options);
    const tenants = positiveInt('tenants', values.tenants, 3, 100);
    const resumes = positiveInt('resumes', values.resumes, 150, 100_000);
    const jobs = positiveInt('jobs', values.jobs, 50, 100_000);
    const seed = positiveInt('seed', values.seed, 42, 2 ** 31);
    const config = loadMatcherConfig();
    const pool = new ResizablePool({ connectionString: values['database-url'] ?? config.databaseUrl, max: 4, hardMax: 4, acquireTimeoutMs: 10_000, idleTimeoutMs: 10_000, applicationName: 'plimsoll-seed' });
    const db = new Database(pool, config.db.profiles);
    try {
      const taxonomy = defaultTaxonomy();
      const counts = await seedTaxonomy(db);
      io.stdout.write(`taxonomy: ${counts.categories} categories, ${counts.skills} skills\n`);
      const data = new SampleData(seed);
      const created: { tenant: string; tenantId: string; apiKey: string; keyPrefix: string }[] = [];
      for (let t = 0; t < tenants; t++) {
        const name = `Sample tenant ${t + 1} (seed ${seed})`;
        const tenant = await db.tx('admin', 'seed.tenant', (q) => createTenant(q, name, 'seed'));
        created.push({ tenant: name, ...tenant });
        await db.tx('admin', 'seed.rows', async (q) => {
          for (let i = 0; i < resumes; i++) {
            const r = data.resume();
            const skills = [...extractSkills(`${r.headline}\n${r.content}`, taxonomy).keys()];
            await q.query('INSERT INTO resumes (tenant_id, candidate_name, headline, content, skills) VALUES ($1, $2, $3, $4, $5)',
              [tenant.tenantId, r.candidateName, r.headline, r.content, JSON.stringify(skills)]);
          }
          for (let i = 0; i < jobs; i++) {
            const j = data.job();
            await q.query('INSERT INTO job_descriptions (tenant_id, title, company, location, description) VALUES ($1, $2, $3, $4, $5)',
              [tenant.tenantId, j.title, j.company, j.location, j.description]);
          }
        });
        io.stdout.write(`tenant "${name}": ${resumes} resumes, ${jobs} jobs, API key ${tenant.apiKey}\n`);
      }
      if (values.out) {
        mkdirSync(dirname(values.out), { recursive: true });
        writeFileSync(values.out, JSON.stringify({ seed, tenants: created }, null, 2) + '\n', { mode: 0o600 });
        io.stdout.write(`keys written to ${values.out}\n`);
      }
      return 0;
    } finally {
      await pool.end();
    }
  },
};

/** Upserts the shipped taxonomy into skill_categories and skills (idempotent). */
export async function seedTaxonomy(db: Database): Promise<{ categories: number; skills: number }> {
  const { data } = defaultTaxonomy();
  return db.tx('admin', 'seed.taxonomy', async (q) => {
    for (const c of data.categories) {
      await q.query(`INSERT INTO skill_categories (slug, name, weight, parent_id)
                     VALUES ($1, $2, $3, (SELECT id FROM skill_categories WHERE slug = $4))
                     ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, weight = EXCLUDED.weight, parent_id = EXCLUDED.parent_id`,
        [c.slug, c.name, c.weight, c.parent ?? null]);
    }
    await q.query(`INSERT INTO skills (name, category_id, aliases)
                   SELECT s->>'name', c.id, COALESCE(s->'aliases', '[]'::jsonb) || COALESCE(s->'exact', '[]'::jsonb)
                     FROM jsonb_array_elements($1::jsonb) s JOIN skill_categories c ON c.slug = s->>'category'
                   ON CONFLICT (name) DO UPDATE SET category_id = EXCLUDED.category_id, aliases = EXCLUDED.aliases`,
      [JSON.stringify(data.skills)]);
    return { categories: data.categories.length, skills: data.skills.length };
  });
}
