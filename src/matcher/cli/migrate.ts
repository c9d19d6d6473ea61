import type { CliCommand } from '../../plimsoll/shared/command-line.js';
import { parseCommandLine } from '../../plimsoll/shared/command-line.js';
import { PlimsollError } from '../../plimsoll/errors.js';
import { loadMatcherConfig } from '../config.js';
import { defaultMigrationsDir, loadMigrations, migrateUp, migrationStatus, redactUrl, withDirectClient } from '../db/migrations.js';
import { verifySchema } from '../db/verify.js';

const usage = `Usage: matcher migrate <up|status|verify> [options]

Applies and checks the matcher's SQL migrations (src/matcher/migrations/NNNN_name.sql).

  up       apply every pending migration, in order, under an advisory lock; refuses if an
           applied migration's file changed (names the file and both sha256 checksums)
  status   list each migration: applied, pending, changed, or applied without a file
  verify   check the live schema: migrations, foreign keys and delete rules, orphaned rows,
           missing or INVALID indexes, zod model vs column types; exits 1 on critical findings

Options:
  --database-url URL  a direct PostgreSQL URL (default: MATCHER_MIGRATION_DATABASE_URL,
                      postgres://plimsoll:…@127.0.0.1:15432/plimsoll). Not PgBouncer in
                      transaction mode: the advisory lock and CREATE INDEX CONCURRENTLY need a session.
  --dir DIR           the migrations directory (default: src/matcher/migrations/)
  --json              machine-readable output
  -h, --help          this text
`;

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'apply, list and verify the matcher database migrations',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandLine('matcher migrate', argv, {
      'database-url': { type: 'string' },
      dir: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    const action = positionals[0];
    if (positionals.length !== 1 || (action !== 'up' && action !== 'status' && action !== 'verify')) {
      throw new PlimsollError('USAGE', 'expected exactly one of: up, status, verify. Run `matcher migrate --help`.');
    }
    const url = values['database-url'] ?? loadMatcherConfig().migrationDatabaseUrl;
    const files = loadMigrations(values.dir ?? defaultMigrationsDir());
    const out = (line: string) => io.stdout.write(line + '\n');
    return withDirectClient(url, async (client) => {
      if (action === 'up') {
        const result = await migrateUp(client, files, values.json ? undefined : out);
        if (values.json) out(JSON.stringify({ applied: result.applied.map((m) => m.file), alreadyApplied: result.alreadyApplied }));
        else out(`${result.applied.length} applied, ${result.alreadyApplied} already applied (${redactUrl(url)})`);
        return 0;
      }
      if (action === 'status') {
        const statuses = await migrationStatus(client, files);
        if (values.json) out(JSON.stringify(statuses));
        else for (const s of statuses) {
          out(`${String(s.version).padStart(4, '0')}_${s.name}`.padEnd(40) + ` ${s.state.padEnd(12)} ${s.appliedAt ? s.appliedAt.toISOString() : ''}`);
        }
        return statuses.some((s) => s.state === 'changed') ? 1 : 0;
      }
      const findings = await verifySchema(client, files);
      const critical = findings.filter((f) => f.severity === 'critical');
      if (values.json) out(JSON.stringify({ ok: critical.length === 0, findings }));
      else {
        for (const f of findings) out(`${f.severity.toUpperCase().padEnd(8)} ${f.kind.padEnd(11)} ${f.subject}: ${f.message}`);
        out(critical.length === 0 ? `schema OK (${findings.length} warning(s))` : `${critical.length} critical finding(s)`);
      }
      if (critical.length > 0) {
        if (values.json) return 1;
        throw new PlimsollError('SCHEMA_VERIFY_FAILED', `${critical.length} critical finding(s); see above`);
      }
      return 0;
    });
  },
};
