/** The CLI as a user runs it: a real child process, its exit code, stdout and stderr. */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = new URL('../../../', import.meta.url).pathname;

async function execute(bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', bin, ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
const plimsoll = (...args: string[]) => execute('src/plimsoll/cli/bin.ts', args);

test('--help lists the commands; each command has its own --help', async () => {
  const top = await plimsoll('--help');
  assert.equal(top.code, 0);
  for (const name of ['validate', 'simulate', 'crd']) {
    assert.match(top.stdout, new RegExp(`\\b${name}\\b`));
    const help = await plimsoll(name, '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, new RegExp(`Usage: plimsoll ${name}`));
  }
});

test('a reader that closes the pipe early (| head) ends the command quietly, with the status SIGPIPE gives', async () => {
  // The read end is closed before the child writes a byte: its first write meets EPIPE.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/plimsoll/cli/bin.ts', 'validate', '--explain', 'examples/matcher.yaml'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const code = await new Promise<number | null>((done) => child.on('close', done));
  assert.equal(stderr, '', 'no crash report for a reader that had enough');
  assert.equal(code, 141);
});

test('the governed service has executables of its own: matcher (serve, migrate), matcher-dev (seed, fake-provider)', async () => {
  const top = await plimsoll('--help');
  for (const name of ['matcher', 'migrate', 'seed', 'fake-provider']) assert.doesNotMatch(top.stdout, new RegExp(`^  ${name}\\b`, 'm'));
  for (const [bin, program, names] of [['src/matcher/cli/bin.ts', 'matcher', ['serve', 'migrate']], ['src/matcher/dev/bin.ts', 'matcher-dev', ['seed', 'fake-provider']]] as const) {
    const overview = await execute(bin, ['--help']);
    assert.equal(overview.code, 0, overview.stderr);
    assert.deepEqual([...overview.stdout.matchAll(/^ {2}(\S+) {2}/gm)].map((m) => m[1]), names);
    for (const name of names) {
      const help = await execute(bin, [name, '--help']);
      assert.match(help.stdout, new RegExp(`Usage: ${program} ${name}`));
    }
    const flag = await execute(bin, [names[0], '--bogus']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, new RegExp(`^${program} ${names[0]}: USAGE: .*bogus.*Run \`${program} ${names[0]} --help\``));
  }
});

test('an unknown command or flag is a usage error on stderr, exit 2', async () => {
  const unknown = await plimsoll('frobnicate');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
  const flag = await plimsoll('validate', '--bogus', 'x.yaml');
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /USAGE: .*bogus/);
});

test('validate: exit 0 for valid files, 1 naming the field for invalid, missing or broken ones', async () => {
  const ok = await plimsoll('validate', 'examples/minimal.yaml', 'examples/matcher.yaml');
  assert.equal(ok.code, 0);
  assert.match(ok.stdout, /matcher-minimal is valid/);
  const bad = await plimsoll('validate', 'examples/minimal.yaml', 'examples/invalid/min-above-max.yaml');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /spec\.replicas\.min: replicas\.min must be less than or equal to replicas\.max/);
  const missing = await plimsoll('validate', 'nope.yaml');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /FILE_NOT_FOUND: nope\.yaml/);
  const dir = await mkdtemp(`${tmpdir()}/plimsoll-`);
  await writeFile(`${dir}/broken.yaml`, 'spec: [unclosed\n');
  const broken = await plimsoll('validate', `${dir}/broken.yaml`);
  assert.equal(broken.code, 1);
  assert.match(broken.stderr, /FILE_UNREADABLE: .*not valid YAML/);
});

test('crd --check passes on the committed CRD and fails on a drifted one', async () => {
  assert.equal((await plimsoll('crd', '--check', 'crds')).code, 0);
  const dir = await mkdtemp(`${tmpdir()}/plimsoll-`);
  const committed = await readFile(`${root}crds/scalingpolicies.plimsoll.dev.yaml`, 'utf8');
  await writeFile(`${dir}/scalingpolicies.plimsoll.dev.yaml`, committed.replace('shortNames', 'shortNamez'));
  const drifted = await plimsoll('crd', '--check', dir);
  assert.equal(drifted.code, 1);
  assert.match(drifted.stderr, /CRD_DRIFT/);
});

test('simulate --format json --out writes the summary, a CSV timeline and an SVG chart', async () => {
  const dir = await mkdtemp(`${tmpdir()}/plimsoll-`);
  const result = await plimsoll('simulate', 'loadtests/scenarios/burst.yaml', '--format', 'json', '--out', dir, '--seed', '3');
  assert.equal(result.code, 0, result.stderr);
  const summary = JSON.parse(result.stdout);
  assert.deepEqual(Object.keys(summary.controllers), ['plimsoll', 'keda', 'hpa', 'static']);
  for (const key of ['successRate', 'aiAnswerShare', 'p95LatencySeconds', 'sloViolationSeconds', 'replicaSeconds', 'budgetViolations', 'levelChanges']) {
    assert.equal(typeof summary.controllers.plimsoll[key], 'number', key);
  }
  const csv = await readFile(`${dir}/timeline.csv`, 'utf8');
  assert.equal(csv.split('\n').filter(Boolean).length, 1 + 4 * 2400);
  const svg = await readFile(`${dir}/chart.svg`, 'utf8');
  assert.match(svg, /^<svg/);
  assert.match(svg, /Service level/);
});

test('simulate rejects a bad scenario and a bad policy with the field named', async () => {
  const dir = await mkdtemp(`${tmpdir()}/plimsoll-`);
  await writeFile(`${dir}/s.yaml`, 'name: s\nload:\n  phases: [{ durationSeconds: 0, users: 5 }]\n');
  const scenario = await plimsoll('simulate', `${dir}/s.yaml`);
  assert.equal(scenario.code, 1);
  assert.match(scenario.stderr, /SCENARIO_INVALID: .*\n\s+- load\.phases\.0\.durationSeconds/);
  const policy = await plimsoll('simulate', 'loadtests/scenarios/burst.yaml', '--policy', 'examples/invalid/exit-unsafe.yaml');
  assert.equal(policy.code, 1);
  assert.match(policy.stderr, /POLICY_INVALID: .*\n\s+- spec\.degradation\.levels\[0\]\.triggers\[0\]\.exit/);
});
