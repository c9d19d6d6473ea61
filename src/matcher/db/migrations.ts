import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PlimsollError } from '../../plimsoll/errors.js';

/**
 * SQL-first migrations: src/matcher/migrations/NNNN_name.sql, applied in order, each recorded with its
 * sha256 in schema_migrations. A file whose first lines carry `-- plimsoll:no-transaction` runs
 * statement by statement outside a transaction (CREATE INDEX CONCURRENTLY); every other file
 * runs in one transaction.
 *
 * Why a direct PostgreSQL connection (MATCHER_MIGRATION_DATABASE_URL, port 15432) and not
 * PgBouncer: the advisory lock that keeps two migrators apart is a *session* lock held across
 * many transactions, and CREATE INDEX CONCURRENTLY runs outside any transaction. In transaction
 * pooling PgBouncer may hand each statement a different server connection, so the lock would
 * be taken on one backend and "released" on another (or leak to an unrelated client).
 */
export interface Migration {
  version: number;
  name: string;
  file: string;
  path: string;
  sql: string;
  checksum: string;
  noTransaction: boolean;
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  appliedAt: Date;
  durationMs: number;
}

export type MigrationState = 'applied' | 'pending' | 'changed' | 'missing-file';

export interface MigrationStatus {
  version: number;
  name: string;
  state: MigrationState;
  fileChecksum?: string;
  appliedChecksum?: string;
  appliedAt?: Date;
}

/** pg_advisory_lock key: the first 8 bytes of sha256('plimsoll:migrations'). */
const LOCK_KEY = BigInt.asIntN(64, BigInt('0x' + createHash('sha256').update('plimsoll:migrations').digest('hex').slice(0, 16))).toString();
const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const NO_TX_MARKER = /^\s*--\s*plimsoll:no-transaction\b/m;

/** Where the SQL files live, from the package root (the repository, or /app in the image). */
const MIGRATIONS_DIR = join('src', 'matcher', 'migrations');

/**
 * The matcher's migrations directory, src/matcher/migrations/ under the package root found from
 * this module: works from src/ and from dist/ (tsc compiles no SQL; the image copies the folder).
 */
export function defaultMigrationsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, MIGRATIONS_DIR)) && existsSync(join(dir, 'package.json'))) return join(dir, MIGRATIONS_DIR);
    dir = dirname(dir);
  }
  return resolve(MIGRATIONS_DIR);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function loadMigrations(dir: string = defaultMigrationsDir()): Migration[] {
  if (!existsSync(dir)) throw new PlimsollError('MIGRATION_INVALID', `migrations directory ${dir} does not exist`);
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const match = FILE_PATTERN.exec(file);
    if (!match) throw new PlimsollError('MIGRATION_INVALID', `${file}: migration files are named NNNN_lowercase_name.sql`);
    const path = join(dir, file);
    const sql = readFileSync(path, 'utf8');
    const version = Number(match[1]);
    const clash = migrations.find((m) => m.version === version);
    if (clash) throw new PlimsollError('MIGRATION_INVALID', `${file} and ${clash.file} share version ${version}`);
    const head = sql.split('\n').slice(0, 5).join('\n');
    migrations.push({ version, name: match[2]!, file, path, sql, checksum: sha256(sql), noTransaction: NO_TX_MARKER.test(head) });
  }
  return migrations;
}

/**
 * Splits a no-transaction file into statements: each ends with `;` at the end of a line.
 * (Such files hold simple DDL; dollar-quoted bodies belong in transactional files.)
 */
export function splitStatements(sql: string): string[] {
  const withoutComments = sql.split('\n').filter((l) => !/^\s*--/.test(l)).join('\n');
  return withoutComments.split(/;\s*(?:\n|$)/).map((s) => s.trim()).filter((s) => s.length > 0);
}

async function ensureTable(client: pg.ClientBase): Promise<void> {
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
    applied_at  timestamptz NOT NULL DEFAULT now(),
    duration_ms integer NOT NULL
  )`);
}

export async function readApplied(client: pg.ClientBase): Promise<AppliedMigration[]> {
  const exists = await client.query(`SELECT to_regclass('schema_migrations') IS NOT NULL AS ok`);
  if (!exists.rows[0]?.ok) return [];
  const { rows } = await client.query<{ version: number; name: string; checksum: string; applied_at: Date; duration_ms: number }>(
    'SELECT version, name, checksum, applied_at, duration_ms FROM schema_migrations ORDER BY version');
  return rows.map((r) => ({ version: r.version, name: r.name, checksum: r.checksum, appliedAt: r.applied_at, durationMs: r.duration_ms }));
}

export function compareMigrations(files: Migration[], applied: AppliedMigration[]): MigrationStatus[] {
  const byVersion = new Map(applied.map((a) => [a.version, a]));
  const statuses: MigrationStatus[] = files.map((m) => {
    const a = byVersion.get(m.version);
    if (!a) return { version: m.version, name: m.name, state: 'pending', fileChecksum: m.checksum };
    return {
      version: m.version, name: m.name, state: a.checksum === m.checksum ? 'applied' : 'changed',
      fileChecksum: m.checksum, appliedChecksum: a.checksum, appliedAt: a.appliedAt,
    };
  });
  for (const a of applied) {
    if (!files.some((m) => m.version === a.version)) {
      statuses.push({ version: a.version, name: a.name, state: 'missing-file', appliedChecksum: a.checksum, appliedAt: a.appliedAt });
    }
  }
  return statuses.sort((x, y) => x.version - y.version);
}

/** Refuses loudly when an applied migration's file changed: names the file and both checksums. */
export function assertNoChangedMigrations(files: Migration[], statuses: MigrationStatus[]): void {
  const changed = statuses.filter((s) => s.state === 'changed');
  if (changed.length === 0) return;
  throw new PlimsollError('MIGRATION_CHECKSUM_MISMATCH',
    `${changed.length} applied migration(s) changed on disk; write a new migration instead of editing an applied one`, {
      problems: changed.map((s) => ({
        path: files.find((f) => f.version === s.version)?.file ?? String(s.version),
        message: `applied with sha256 ${s.appliedChecksum}, file now has sha256 ${s.fileChecksum}`,
      })),
    });
}

export interface MigrateResult {
  applied: Migration[];
  alreadyApplied: number;
}

export async function withDirectClient<T>(url: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'plimsoll-migrate' });
  try {
    await client.connect();
  } catch (error) {
    throw new PlimsollError('DB_UNAVAILABLE', `cannot connect to ${redactUrl(url)}: ${(error as Error).message}`, { cause: error });
  }
  client.on('error', () => undefined);
  try {
    return await body(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

/**
 * Takes the migration lock by polling pg_try_advisory_lock, never by blocking in
 * pg_advisory_lock: CREATE INDEX CONCURRENTLY waits for every open transaction to end, and a
 * second migrator blocked inside pg_advisory_lock *is* an open transaction, so the two would
 * deadlock. Between attempts the waiter holds no transaction.
 */
async function takeLock(client: pg.ClientBase, log: (line: string) => void, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [LOCK_KEY]);
    if (rows[0]?.ok) return;
    if (!announced) log('another migrator holds the migration lock; waiting');
    announced = true;
    if (Date.now() > deadline) throw new PlimsollError('MIGRATION_FAILED', `the migration lock was not free within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 100));
  }
}

/** Applies every pending migration under the advisory lock. */
export async function migrateUp(
  client: pg.ClientBase,
  files: Migration[],
  log: (line: string) => void = () => undefined,
): Promise<MigrateResult> {
  await takeLock(client, log);
  try {
    await ensureTable(client);
    const statuses = compareMigrations(files, await readApplied(client));
    assertNoChangedMigrations(files, statuses);
    const pending = files.filter((m) => statuses.find((s) => s.version === m.version)?.state === 'pending');
    for (const m of pending) {
      const started = Date.now();
      log(`applying ${m.file}${m.noTransaction ? ' (no transaction)' : ''}`);
      try {
        if (m.noTransaction) {
          for (const statement of splitStatements(m.sql)) await client.query(statement);
          await client.query('INSERT INTO schema_migrations (version, name, checksum, duration_ms) VALUES ($1, $2, $3, $4)',
            [m.version, m.name, m.checksum, Date.now() - started]);
        } else {
          await client.query('BEGIN');
          await client.query('SET LOCAL lock_timeout = 10000');
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name, checksum, duration_ms) VALUES ($1, $2, $3, $4)',
            [m.version, m.name, m.checksum, Date.now() - started]);
          await client.query('COMMIT');
        }
      } catch (error) {
        if (!m.noTransaction) await client.query('ROLLBACK').catch(() => undefined);
        throw new PlimsollError('MIGRATION_FAILED', `${m.file}: ${(error as Error).message}${m.noTransaction ? ' (no-transaction file: statements before the failure stay applied; the file is safe to re-run)' : ' (rolled back)'}`, { cause: error });
      }
      log(`applied ${m.file} in ${Date.now() - started} ms`);
    }
    return { applied: pending, alreadyApplied: files.length - pending.length };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [LOCK_KEY]).catch(() => undefined);
  }
}

export async function migrationStatus(client: pg.ClientBase, files: Migration[]): Promise<MigrationStatus[]> {
  return compareMigrations(files, await readApplied(client));
}
