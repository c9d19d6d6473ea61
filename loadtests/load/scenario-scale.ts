/**
 * Time-compressed scenarios. `--time-scale 0.25` runs a 40-minute scenario in 10 minutes: every
 * phase duration and every event's start and length are multiplied by the factor. What is NOT
 * scaled, on purpose: the think time (a user's pace is the load level; scaling it would change
 * the request rate, not the timeline), the model's parameters and the policy (start-up delay,
 * scrape interval, stabilization windows belong to the real system, which runs at real speed).
 * The report compares against the simulator run on this same scaled scenario, so both sides see
 * the same compressed load against the same uncompressed system.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { stringify } from 'yaml';
import { PlimsollError } from '../../src/plimsoll/errors.js';
import { scenarioDuration, scenarioSchema, type Scenario } from '../../src/plimsoll/simulator/scenario.js';

/** `burst` → loadtests/scenarios/burst.yaml; anything with a slash or extension is a path. */
export function resolveScenarioPath(nameOrPath: string, root = process.cwd()): string {
  const looksLikePath = nameOrPath.includes('/') || /\.(ya?ml|json)$/.test(nameOrPath);
  const path = looksLikePath ? resolve(root, nameOrPath) : resolve(root, 'loadtests/scenarios', `${nameOrPath}.yaml`);
  if (!existsSync(path)) {
    throw new PlimsollError('FILE_NOT_FOUND', `scenario ${nameOrPath}: no file ${path} (scenarios live in loadtests/scenarios/, e.g. burst, sustained)`);
  }
  return path;
}

const scaled = (seconds: number, factor: number) => Math.max(1, Math.round(seconds * factor));

/**
 * The scenario with every duration and event time multiplied by `factor` (rounded to whole
 * seconds, at least 1). Events keep their order and stay inside the (rounded) load.
 */
export function scaleScenario(scenario: Scenario, factor: number): Scenario {
  if (!(factor > 0) || !Number.isFinite(factor)) throw new PlimsollError('USAGE', `--time-scale must be a positive number, not ${factor}`);
  if (factor === 1) return structuredClone(scenario);
  const phases = scenario.load.phases.map((p) => ({ ...p, durationSeconds: scaled(p.durationSeconds, factor) }));
  const total = phases.reduce((s, p) => s + p.durationSeconds, 0);
  const events = scenario.events.map((e) => {
    const at = Math.min(Math.round(e.at * factor), total - 1);
    return { ...e, at, durationSeconds: Math.min(scaled(e.durationSeconds, factor), total - at) };
  });
  return {
    ...structuredClone(scenario),
    description: `${scenario.description} (time scale ${factor}: durations and event times ×${factor})`.slice(0, 2000),
    load: { ...scenario.load, phases },
    events,
  };
}

/**
 * The scaled scenario as a YAML file the simulator (and `plimsoll simulate`) accepts: the policy
 * becomes an absolute path, since the file is written next to the report, not in loadtests/.
 */
export function scenarioYaml(scenario: Scenario, policyPath: string): string {
  const document = { ...scenario, policy: isAbsolute(policyPath) ? policyPath : resolve(policyPath) };
  // Round-trip through the simulator's own schema: a scaled scenario it would reject is our bug.
  const check = scenarioSchema.safeParse(document);
  if (!check.success) {
    throw new PlimsollError('SCENARIO_INVALID', `the scaled scenario ${scenario.name} is not valid: ${check.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return `# Written by the load runner: ${scenario.name}, ${scenarioDuration(scenario)} s.\n${stringify(document)}`;
}
