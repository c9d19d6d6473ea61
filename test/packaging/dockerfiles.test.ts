// The Dockerfiles cannot be built here (no container runtime). What can be checked is checked:
// their structure (multi-stage, npm ci --omit=dev, non-root numeric USER, no build step in the
// final stage), that every file they COPY exists and passes .dockerignore, that the entrypoint is
// a real `plimsoll` subcommand, and, for real, that `npm run build` (tsc with
// tsconfig.build.json) produces what the final image runs, laid out as in the image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, run } from '../support/cluster.js';
import { commands } from '../../src/cli/commands/index.js';

interface Instruction { op: string; args: string }
interface Stage { from: string; name?: string; instructions: Instruction[] }

function parseDockerfile(text: string): Stage[] {
  const logical = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of logical) {
    const [op = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      assert.ok(m, `bad FROM ${args}`);
      stages.push({ from: m[1]!, ...(m[2] ? { name: m[2] } : {}), instructions: [] });
    } else {
      assert.ok(stages.length > 0, `${op} before FROM`);
      stages.at(-1)!.instructions.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

/** .dockerignore as written here: `*` first, then `!path` entries that let paths back in. */
function allowedByDockerignore(path: string): boolean {
  const lines = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  assert.equal(lines[0], '*', '.dockerignore is an allowlist starting with *');
  const allowed = lines.slice(1).map((l) => {
    assert.ok(l.startsWith('!'), `.dockerignore: only !exceptions follow *, got ${l}`);
    return l.slice(1).replace(/\/$/, '');
  });
  const clean = path.replace(/^\.\//, '').replace(/\/$/, '');
  return allowed.some((a) => clean === a || clean.startsWith(`${a}/`));
}

const ENTRY = 'dist/src/cli/bin.js';

for (const [image, command, needs] of [['operator', 'operator', []], ['matcher', 'matcher', ['migrations']]] as const) {
  test(`images/${image}/Dockerfile: multi-stage, production deps only, non-root, entrypoint \`plimsoll ${command}\``, () => {
    const stages = parseDockerfile(readFileSync(join(REPO_ROOT, 'images', image, 'Dockerfile'), 'utf8'));
    assert.ok(stages.length >= 2, 'multi-stage');
    const all = stages.flatMap((s) => s.instructions);
    const build = stages.find((s) => s.instructions.some((i) => i.op === 'RUN' && /\bnpm run build\b/.test(i.args)));
    assert.ok(build, 'a stage runs npm run build');
    assert.ok(build.instructions.some((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args)), 'the build stage installs with npm ci');
    assert.ok(all.some((i) => i.op === 'RUN' && /\bnpm ci\b.*--omit=dev/.test(i.args)), 'production dependencies come from npm ci --omit=dev');

    const final = stages.at(-1)!;
    assert.notEqual(final, build, 'the final stage is not the build stage');
    assert.deepEqual(final.instructions.filter((i) => i.op === 'RUN'), [], 'the final stage runs nothing (no shell, no build tools)');
    assert.ok(!/^node:/.test(final.from), `the final base ${final.from} ships npm; use a runtime-only base`);
    const user = final.instructions.filter((i) => i.op === 'USER').at(-1);
    assert.ok(user && /^[1-9]\d*(:[1-9]\d*)?$/.test(user.args), `numeric non-root USER, got ${user?.args}`);

    // Every COPY from the build context exists and is not excluded by .dockerignore.
    for (const copy of all.filter((i) => i.op === 'COPY' && !i.args.includes('--from='))) {
      const sources = copy.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1);
      for (const source of sources) {
        assert.ok(existsSync(join(REPO_ROOT, source)), `COPY ${source}: no such file in the repository`);
        assert.ok(allowedByDockerignore(source), `COPY ${source}: excluded by .dockerignore`);
      }
    }
    const copied = final.instructions.filter((i) => i.op === 'COPY').map((i) => i.args);
    for (const dir of ['dist', 'node_modules', 'package.json', ...needs]) {
      assert.ok(copied.some((c) => c.split(/\s+/).some((part) => part.replace(/^\/app\//, '').replace(/^\.\//, '') === dir)), `the final image lacks ${dir}`);
    }

    const entrypoint = JSON.parse(final.instructions.find((i) => i.op === 'ENTRYPOINT')!.args) as string[];
    const cmd = JSON.parse(final.instructions.find((i) => i.op === 'CMD')!.args) as string[];
    assert.deepEqual(entrypoint.slice(1), [ENTRY], 'the entrypoint runs the compiled CLI');
    assert.match(entrypoint[0]!, /node$/);
    assert.deepEqual(cmd, [command]);
    assert.ok(commands.some((c) => c.name === command), `plimsoll has no ${command} subcommand`);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    assert.equal(pkg.bin.plimsoll, ENTRY, 'the image runs the same file as the plimsoll binary');
  });
}

test('npm run build produces what the images run, and it works laid out as in the image', { timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-image-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const started = Date.now();
  // The build script of package.json, into a scratch outDir (dist/ of the checkout is left alone).
  const build = await run('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', join(dir, 'dist')], { timeoutMs: 240_000 });
  assert.equal(build.code, 0, `tsc -p tsconfig.build.json failed:\n${build.stdout}${build.stderr}`);
  t.diagnostic(`tsc -p tsconfig.build.json: ${Date.now() - started} ms`);
  assert.ok(existsSync(join(dir, ENTRY)), `${ENTRY} was not produced`);
  assert.ok(existsSync(join(dir, 'dist/src/matcher/analysis/data/skills.json')), 'the skill taxonomy JSON is not in dist/');
  // /app of the matcher image: dist/, migrations/, package.json, node_modules/.
  cpSync(join(REPO_ROOT, 'migrations'), join(dir, 'migrations'), { recursive: true });
  cpSync(join(REPO_ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  for (const command of ['operator', 'matcher', 'migrate']) {
    const help = await run('node', [ENTRY, command, '--help'], { cwd: dir });
    assert.equal(help.code, 0, `node ${ENTRY} ${command} --help: ${help.stderr}`);
    assert.match(help.stdout, new RegExp(`Usage: plimsoll ${command}`));
  }
  const probe = await run('node', ['--input-type=module', '-e', `
    const m = await import(${JSON.stringify(join(dir, 'dist/src/matcher/db/migrations.js'))});
    const t = await import(${JSON.stringify(join(dir, 'dist/src/matcher/analysis/taxonomy.js'))});
    console.log(JSON.stringify({ migrations: m.defaultMigrationsDir(), count: m.loadMigrations().length, taxonomy: Object.keys(t).length }));
  `], { cwd: dir });
  assert.equal(probe.code, 0, probe.stderr);
  const found = JSON.parse(probe.stdout) as { migrations: string; count: number; taxonomy: number };
  assert.equal(found.migrations, join(dir, 'migrations'), 'the compiled matcher finds migrations/ beside package.json, as in /app');
  assert.ok(found.count > 0, 'no migration loaded');
});
