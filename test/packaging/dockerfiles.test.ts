// The Dockerfiles cannot be built here (no container runtime). What can be checked is checked:
// their structure (multi-stage, npm ci --omit=dev, non-root numeric USER, no build step in the
// final stage), that every file they COPY exists and passes .dockerignore, that the entrypoint is
// a real subcommand (`plimsoll operator`, `matcher serve`), that the two products stay apart (the
// operator image compiles Plimsoll alone, no image gets the matcher's test and demo tools), and,
// for real, that each image's build stage (tsc with tsconfig.build.json over what it COPYs)
// produces what its final stage runs, laid out as in the image. Every COPY here keeps its source's
// path under /app, so a source is laid out at its own path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT, run } from '../support/cluster.js';
import { plimsollProgram } from '../../src/plimsoll/cli/main.js';
import { matcherProgram } from '../../src/matcher/cli/main.js';
import type { CliProgram } from '../../src/plimsoll/shared/command-line.js';

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

/**
 * .dockerignore as written here: `*` first, then `!path` entries that let paths back in and
 * `path` entries that leave them out again; the last entry that matches a path decides.
 */
function inBuildContext(path: string): boolean {
  const lines = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  assert.equal(lines[0], '*', '.dockerignore is an allowlist starting with *');
  const clean = path.replace(/^\.\//, '').replace(/\/$/, '');
  let included = false;
  for (const line of lines.slice(1)) {
    const pattern = line.replace(/^!/, '').replace(/\/$/, '');
    assert.ok(!/[*?[]/.test(pattern), `.dockerignore: only plain paths follow *, got ${line}`);
    if (clean === pattern || clean.startsWith(`${pattern}/`)) included = line.startsWith('!');
  }
  return included;
}

/** The files of a COPY source as the builder sees them: what .dockerignore lets into the context. */
function copyContext(source: string, into: string): void {
  cpSync(join(REPO_ROOT, source), join(into, source), { recursive: true, filter: (from) => from === join(REPO_ROOT, source) || inBuildContext(relative(REPO_ROOT, from)) });
}

interface Image { name: string; entry: string; command: string; program: CliProgram; needs: string[] }
const IMAGES: Image[] = [
  { name: 'operator', entry: 'dist/src/plimsoll/cli/bin.js', command: 'operator', program: plimsollProgram, needs: [] },
  { name: 'matcher', entry: 'dist/src/matcher/cli/bin.js', command: 'serve', program: matcherProgram, needs: ['src/matcher/migrations'] },
];
const stagesOf = (image: Image) => parseDockerfile(readFileSync(join(REPO_ROOT, 'images', image.name, 'Dockerfile'), 'utf8'));
const buildStageOf = (stages: Stage[]) => stages.find((s) => s.instructions.some((i) => i.op === 'RUN' && /\bnpm run build\b/.test(i.args)));
/** The sources of the COPY instructions that read the build context (not another stage). */
const contextSources = (instructions: Instruction[]) => instructions
  .filter((i) => i.op === 'COPY' && !i.args.includes('--from='))
  .flatMap((i) => i.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1));

for (const image of IMAGES) {
  test(`images/${image.name}/Dockerfile: multi-stage, production deps only, non-root, entrypoint \`${image.program.name} ${image.command}\``, () => {
    const stages = stagesOf(image);
    assert.ok(stages.length >= 2, 'multi-stage');
    const all = stages.flatMap((s) => s.instructions);
    const build = buildStageOf(stages);
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
    for (const source of contextSources(all)) {
      assert.ok(existsSync(join(REPO_ROOT, source)), `COPY ${source}: no such file in the repository`);
      assert.ok(inBuildContext(source), `COPY ${source}: excluded by .dockerignore`);
    }
    const copied = final.instructions.filter((i) => i.op === 'COPY').map((i) => i.args);
    for (const dir of ['dist', 'node_modules', 'package.json', ...image.needs]) {
      assert.ok(copied.some((c) => c.split(/\s+/).some((part) => part.replace(/^\/app\//, '').replace(/^\.\//, '') === dir)), `the final image lacks ${dir}`);
    }

    const entrypoint = JSON.parse(final.instructions.find((i) => i.op === 'ENTRYPOINT')!.args) as string[];
    const cmd = JSON.parse(final.instructions.find((i) => i.op === 'CMD')!.args) as string[];
    assert.deepEqual(entrypoint.slice(1), [image.entry], `the entrypoint runs the compiled \`${image.program.name}\``);
    assert.match(entrypoint[0]!, /node$/);
    assert.deepEqual(cmd, [image.command]);
    assert.ok(image.program.commands.some((c) => c.name === image.command), `${image.program.name} has no ${image.command} subcommand`);
  });
}

test('package.json: the plimsoll binary is the operator image\'s entrypoint', () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  assert.deepEqual(pkg.bin, { plimsoll: IMAGES[0]!.entry }, 'the image runs the same file as the plimsoll binary');
});

test('the two products stay apart: Plimsoll imports nothing of the matcher, the matcher nothing of its test and demo tools', () => {
  const importsOf = (dir: string): Array<{ file: string; target: string }> => readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) => [...readFileSync(join(REPO_ROOT, dir, f), 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)]
      .map((m) => ({ file: join(dir, f), target: relative(REPO_ROOT, resolve(REPO_ROOT, dir, dirname(f), m[1]!)) })));
  const plimsoll = importsOf('src/plimsoll');
  assert.ok(plimsoll.length > 100, 'the imports of src/plimsoll were read');
  assert.deepEqual(plimsoll.filter((i) => !i.target.startsWith('src/plimsoll/')), [], 'Plimsoll imports only itself');
  const matcher = importsOf('src/matcher').filter((i) => !i.file.startsWith('src/matcher/dev/'));
  assert.deepEqual(matcher.filter((i) => i.target.startsWith('src/matcher/dev/')), [], 'the matcher\'s image code imports none of its test and demo tools');
  assert.ok(!inBuildContext('src/matcher/dev/bin.ts') && inBuildContext('src/matcher/cli/bin.ts'), '.dockerignore keeps src/matcher/dev out of every image');
  const operatorBuild = buildStageOf(stagesOf(IMAGES[0]!))!;
  assert.deepEqual(contextSources(operatorBuild.instructions).filter((s) => s === 'src' || s.startsWith('src/') && !s.startsWith('src/plimsoll')), [],
    'the operator image compiles Plimsoll alone (src/plimsoll)');
});

/**
 * One image's build without a container runtime: its build stage's COPYs (through .dockerignore)
 * into a scratch /app, `npm run build` there (tsc with tsconfig.build.json), then the final
 * stage's COPYs: dist/ from the build, the rest from the context.
 */
async function buildAsTheImage(image: Image, dir: string): Promise<{ app: string; ms: number }> {
  const stages = stagesOf(image);
  const work = join(dir, 'build');
  const app = join(dir, 'app');
  for (const source of contextSources(buildStageOf(stages)!.instructions)) copyContext(source, work);
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(work, 'node_modules'), 'dir');
  const started = Date.now();
  const build = await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: work, timeoutMs: 240_000 });
  assert.equal(build.code, 0, `${image.name}: tsc -p tsconfig.build.json failed:\n${build.stdout}${build.stderr}`);
  cpSync(join(work, 'dist'), join(app, 'dist'), { recursive: true });
  for (const source of contextSources(stages.at(-1)!.instructions)) copyContext(source, app);
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(app, 'node_modules'), 'dir');
  return { app, ms: Date.now() - started };
}

test('npm run build produces what the images run, and it works laid out as in the image', { timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-image-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const image of IMAGES) {
    const { app, ms } = await buildAsTheImage(image, join(dir, image.name));
    t.diagnostic(`${image.name}: tsc -p tsconfig.build.json: ${ms} ms`);
    assert.ok(existsSync(join(app, image.entry)), `${image.entry} was not produced`);
    assert.ok(!existsSync(join(app, 'dist/src/matcher/dev')), `${image.name}: the test and demo tools are in the image`);
    const commands = image.name === 'operator' ? ['operator'] : ['serve', 'migrate'];
    for (const command of commands) {
      const help = await run('node', [image.entry, command, '--help'], { cwd: app });
      assert.equal(help.code, 0, `node ${image.entry} ${command} --help: ${help.stderr}`);
      assert.match(help.stdout, new RegExp(`Usage: ${image.program.name} ${command}`));
    }
    if (image.name === 'operator') {
      assert.ok(!existsSync(join(app, 'dist/src/matcher')), 'the operator image holds nothing of the matcher');
      continue;
    }
    assert.ok(existsSync(join(app, 'dist/src/matcher/analysis/data/skills.json')), 'the skill taxonomy JSON is not in dist/');
    const probe = await run('node', ['--input-type=module', '-e', `
      const m = await import(${JSON.stringify(join(app, 'dist/src/matcher/db/migrations.js'))});
      const t = await import(${JSON.stringify(join(app, 'dist/src/matcher/analysis/taxonomy.js'))});
      const p = await import(${JSON.stringify(join(app, 'dist/src/matcher/analysis/pool.js'))});
      const pool = new p.AnalysisPool({ threads: 1, deadlineMs: 60000 });
      const analysed = await pool.analyse({ content: 'Go developer' }, { title: 'Go Engineer', description: 'Go' }, new Date());
      await pool.close();
      console.log(JSON.stringify({ migrations: m.defaultMigrationsDir(), count: m.loadMigrations().length, taxonomy: Object.keys(t).length, analysedBy: analysed.matcherVersion }));
    `], { cwd: app });
    assert.equal(probe.code, 0, probe.stderr);
    const found = JSON.parse(probe.stdout) as { migrations: string; count: number; taxonomy: number; analysedBy: string };
    assert.equal(found.analysedBy, 'local-1.0.0', 'the analysis threads load dist/src/matcher/analysis/worker.js');
    assert.equal(found.migrations, join(app, 'src/matcher/migrations'), 'the compiled matcher finds src/matcher/migrations under package.json, as in /app');
    assert.ok(found.count > 0, 'no migration loaded');
  }
});
