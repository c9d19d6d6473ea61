/**
 * `make compare`: the same closed-loop scenario against each contender, one after another, each
 * from the same clean state (no stored analysis, no Redis key of the matcher's, providers reset,
 * replicas started fresh so caches are cold, the same user seed), then one report side by side.
 *
 * Per contender: stop whoever governs the matcher (delete the ScalingPolicy and the ScaledObject),
 * scale it to 0, reset the state, set the contender's environment, start its replicas, apply its
 * governing object, let Prometheus see the replicas, run `make load`'s runner into a directory of
 * its own, and read its scorecard. At the end the stack is given back to Plimsoll.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseScalingPolicy } from '../../src/plimsoll/api/validate.js';
import { readSingleDocument } from '../../src/plimsoll/shared/files.js';
import { loadScenario } from '../../src/plimsoll/simulator/scenario.js';
import type { LoadReport } from '../load/report.js';
import { timestamp } from '../load/run.js';
import { resolveScenarioPath, scaleScenario } from '../load/scenario-scale.js';
import { scorecard, type Scorecard } from '../load/scorecard.js';
import { contenderEnvKeys, CONTENDERS, planContender, type ContenderName, type ContenderPlan } from './contenders.js';
import { CompareError, Kubectl, runCommand, waitFor } from './kube.js';
import { renderCompareHtml, renderCompareTable } from './report.js';

export interface CompareOptions {
  root: string;
  scenario: string;
  timeScale: number;
  contenders: ContenderName[];
  outDir: string;
  kubeconfig: string;
  namespace: string;
  policyFile: string;
  keysFile: string;
  /** The replica runner's GET /status (tools/stack/replica-runner): its replica processes. */
  runnerStatusUrl: string;
  /** Seconds to let Prometheus scrape the fresh replicas before the load starts. */
  settleSeconds: number;
  loadArgs: string[];
  log: (line: string) => void;
  /** Aborted (Ctrl-C): the running load stops early, no further contender starts, the stack is restored. */
  signal?: AbortSignal;
}

export interface ContenderResult {
  plan: ContenderPlan;
  runDir: string;
  scorecard: Scorecard;
  report: LoadReport;
}

const DEPLOYMENT = 'deployment/matcher';
const MATCHER_PODS = 'app.kubernetes.io/name=matcher';

/** The replica runner's processes (GET /status), each with its readiness by the runner's probe. */
async function runnerReplicas(o: CompareOptions): Promise<Array<{ pod: string; ready: boolean }>> {
  const res = await fetch(o.runnerStatusUrl, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new CompareError('STACK_NOT_READY', `the replica runner's ${o.runnerStatusUrl} answered HTTP ${res.status}`);
  return ((await res.json()) as { replicas: Array<{ pod: string; ready: boolean }> }).replicas;
}

/** How many matcher pods exist (the pods, not the Deployment's status, which lags). */
async function matcherPods(kubectl: Kubectl): Promise<number> {
  return (await kubectl.json<{ items: unknown[] }>(['get', 'pods', '-l', MATCHER_PODS])).items.length;
}

/** No governor left: the policy (Plimsoll stops; the runtime ConfigMap goes with it) and the ScaledObject (KEDA deletes its HPA). */
async function removeGovernors(kubectl: Kubectl, kedaServed: boolean): Promise<void> {
  await kubectl.run(['delete', 'scalingpolicy', 'matcher', '--ignore-not-found', '--wait=true']);
  if (kedaServed) await kubectl.run(['delete', 'scaledobject', 'matcher', '--ignore-not-found', '--wait=true']);
  await waitFor('the HPA of the ScaledObject to be gone', 60, async () =>
    (await kubectl.run(['get', 'hpa', '-o', 'name'])).stdout.split('\n').some((l) => l.includes('matcher')) ? undefined : true);
}

async function prepare(o: CompareOptions, kubectl: Kubectl, plan: ContenderPlan, envKeys: string[], kedaServed: boolean): Promise<void> {
  const step = (s: string) => o.log(`[${plan.name}] ${s}`);
  step('stopping whoever governs the matcher, scaling it to 0');
  await removeGovernors(kubectl, kedaServed);
  await kubectl.run(['scale', DEPLOYMENT, '--replicas=0']);
  await waitFor('the matcher pods to be gone', 180, async () => ((await matcherPods(kubectl)) === 0 ? true : undefined));
  // Pods vanish before their processes finish the grace period: wait for the processes too, so
  // nothing writes to the database or Redis after the reset.
  await waitFor('the replica runner to stop every replica process', 120, async () => ((await runnerReplicas(o)).length === 0 ? true : undefined));

  step('clean state: stored analyses, Redis keys, provider counters');
  const reset = await runCommand('bash', [join(o.root, 'loadtests/compare/reset-state.sh')], { onLine: (l) => l.trim() && step(l.trim()) });
  if (reset.code !== 0) throw new CompareError('STACK_NOT_READY', `resetting the state failed: ${reset.stderr.trim()}`);

  const unset = envKeys.filter((k) => !(k in plan.env)).map((k) => `${k}-`);
  const set = Object.entries(plan.env).map(([k, v]) => `${k}=${v}`);
  step(set.length > 0 ? `environment: ${Object.keys(plan.env).join(', ')}` : 'environment: the stack\'s own');
  if (unset.length + set.length > 0) await kubectl.run(['set', 'env', DEPLOYMENT, ...set, ...unset]);

  step(`starting ${plan.initialReplicas} fresh replicas`);
  await kubectl.run(['scale', DEPLOYMENT, `--replicas=${plan.initialReplicas}`]);
  // Ready by the runner's own probes of the processes: kwok may report a new pod Ready first.
  await waitFor(`${plan.initialReplicas} ready replicas`, 300, async () => {
    const [pods, processes] = await Promise.all([matcherPods(kubectl), runnerReplicas(o)]);
    return pods === plan.initialReplicas && processes.filter((r) => r.ready).length === plan.initialReplicas ? true : undefined;
  });
  if (plan.governor) {
    step(`applying the ${plan.governor.kind} (${plan.governor.file.replace(`${o.root}/`, '')})`);
    await kubectl.run(['apply', '--server-side', '--field-manager=plimsoll-compare', '-f', plan.governor.file]);
  }
  step(`letting Prometheus scrape the replicas for ${o.settleSeconds} s`);
  await new Promise((r) => setTimeout(r, o.settleSeconds * 1000));
}

async function runLoad(o: CompareOptions, plan: ContenderPlan, runDir: string): Promise<ContenderResult> {
  const args = [
    '--import', 'tsx', join(o.root, 'loadtests/load/cli.ts'), o.scenario, '--time-scale', String(o.timeScale),
    '--run-dir', runDir, '--keys', o.keysFile, '--policy', o.policyFile, ...o.loadArgs,
  ];
  // The runner's progress goes to stderr (a line per phase and interval); its summary to stdout,
  // which the comparison replaces with its own table.
  const result = await runCommand(process.execPath, args, {
    onLine: (line, stream) => {
      if (stream === 'stderr' && line.trim()) o.log(`[${plan.name}] ${line}`);
    },
    ...(o.signal ? { signal: o.signal } : {}),
  });
  // 130: interrupted, with a partial report (the load runner's own exit code for it).
  if (result.code !== 0 && !(result.code === 130 && o.signal?.aborted)) throw new CompareError('LOAD_RUN_FAILED', `the load run for ${plan.name} failed (exit ${result.code}): ${result.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  const report = JSON.parse(await readFile(join(runDir, 'report.json'), 'utf8')) as LoadReport;
  return { plan, runDir, report, scorecard: scorecard(report) };
}

/** Gives the stack back to Plimsoll: its environment, its minimum replicas, its policy. */
async function restorePlimsoll(o: CompareOptions, kubectl: Kubectl, plans: ContenderPlan[], kedaServed: boolean): Promise<void> {
  o.log('restoring the stack: Plimsoll governs the matcher again');
  await removeGovernors(kubectl, kedaServed);
  await kubectl.run(['set', 'env', DEPLOYMENT, ...contenderEnvKeys(plans).map((k) => `${k}-`)]);
  const plimsoll = plans.find((p) => p.name === 'plimsoll')!;
  await kubectl.run(['scale', DEPLOYMENT, `--replicas=${plimsoll.initialReplicas}`]);
  await kubectl.run(['apply', '--server-side', '--field-manager=plimsoll-compare', '-f', plimsoll.governor!.file]);
}

export async function runCompare(o: CompareOptions): Promise<{ dir: string; results: ContenderResult[] }> {
  const scenarioFile = resolveScenarioPath(o.scenario, o.root);
  const { scenario } = await loadScenario(scenarioFile);
  const scaled = scaleScenario(scenario, o.timeScale);
  const spec = parseScalingPolicy(await readSingleDocument(o.policyFile, 'policy')).spec;
  const kubectl = new Kubectl(o.kubeconfig, o.namespace);
  const providersJson = (await kubectl.run(['get', 'configmap', 'matcher-config', '-o', 'jsonpath={.data.MATCHER_PROVIDERS}'])).stdout;
  if (!providersJson.trim()) throw new CompareError('STACK_NOT_READY', 'the matcher-config ConfigMap has no MATCHER_PROVIDERS: run make up first');
  const kedaServed = await kubectl.serves('scaledobjects.keda.sh');
  if (o.contenders.includes('keda') && !kedaServed) throw new CompareError('STACK_NOT_READY', 'the API server does not serve keda.sh ScaledObjects: run make keda first');

  const inputs = { root: o.root, spec, scenario: scaled, policyFile: o.policyFile, providersJson };
  const allPlans = CONTENDERS.map((name) => planContender(name, inputs));
  const envKeys = contenderEnvKeys(allPlans);
  const dir = resolve(o.outDir, `${scaled.name}-${timestamp(new Date())}`);
  await mkdir(dir, { recursive: true });
  o.log(`comparing ${o.contenders.join(', ')} on ${scaled.name} at time scale ${o.timeScale}; reports in ${dir}`);

  const results: ContenderResult[] = [];
  try {
    for (const [i, name] of o.contenders.entries()) {
      if (o.signal?.aborted) {
        o.log(`interrupted: ${o.contenders.slice(i).join(', ')} not run`);
        break;
      }
      const plan = allPlans.find((p) => p.name === name)!;
      o.log(`── ${i + 1}/${o.contenders.length} ${name}: ${plan.description}`);
      await prepare(o, kubectl, plan, envKeys, kedaServed);
      const result = await runLoad(o, plan, join(dir, name));
      results.push(result);
      // Written after every run, so an interrupted comparison keeps what it measured.
      await writeFile(join(dir, 'compare.json'), JSON.stringify({ scenario: scaled.name, timeScale: o.timeScale, contenders: results.map((r) => ({ name: r.plan.name, description: r.plan.description, runDir: r.runDir, scorecard: r.scorecard })) }, null, 2) + '\n');
    }
  } finally {
    await restorePlimsoll(o, kubectl, allPlans, kedaServed).catch((error: Error) => o.log(`could not restore the stack: ${error.message}; run make up`));
  }
  await writeFile(join(dir, 'compare.html'), renderCompareHtml(scaled.name, o.timeScale, results));
  await writeFile(join(dir, 'compare.txt'), renderCompareTable(scaled.name, o.timeScale, results));
  return { dir, results };
}
