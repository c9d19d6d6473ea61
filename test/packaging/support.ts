// Shared by the packaging tests: helm and kubectl kustomize, rendered into parsed objects.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { LOCAL_DIR, REPO_ROOT, ensureCluster, run, type CommandResult } from '../support/cluster.js';

export const CHART_DIR = join(REPO_ROOT, 'charts', 'plimsoll');
export const FULL_VALUES = join(CHART_DIR, 'ci', 'full-values.yaml');

/** A Kubernetes object as parsed from YAML: only the envelope is typed. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** helm from HELM, else .local/bin/helm (`make helm` builds it). */
export function helmBinary(): string {
  const bin = process.env.HELM ?? join(LOCAL_DIR, 'bin', 'helm');
  if (!existsSync(bin)) throw new Error(`${bin} not found: run \`make helm\` (tools/helm/install.sh) first`);
  return bin;
}

/** Run helm; throws with its stderr on a non-zero exit unless allowFailure. */
export async function helm(args: string[], options: { allowFailure?: boolean; kubeconfig?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  const env = { ...process.env, ...(options.kubeconfig ? { KUBECONFIG: options.kubeconfig } : {}) };
  const result = await run(helmBinary(), args, { env, timeoutMs: options.timeoutMs ?? 300_000 });
  if (result.code !== 0 && !options.allowFailure) {
    throw new Error(`helm ${args.join(' ')} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result;
}

/** Every non-empty YAML document of a stream. */
export function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
      return doc.toJSON() as KubeObject | null;
    })
    .filter((o): o is KubeObject => o !== null && typeof o === 'object');
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  valuesFiles?: string[];
  set?: Record<string, string>;
  includeCrds?: boolean;
}

/** `helm template` of the chart, as YAML text. */
export async function renderChartText(options: RenderOptions = {}): Promise<string> {
  const args = ['template', options.release ?? 'plimsoll', CHART_DIR, '--namespace', options.namespace ?? 'plimsoll-system'];
  for (const file of options.valuesFiles ?? []) args.push('--values', file);
  for (const [key, value] of Object.entries(options.set ?? {})) args.push('--set', `${key}=${value}`);
  if (options.includeCrds) args.push('--include-crds');
  return (await helm(args)).stdout;
}

export async function renderChart(options: RenderOptions = {}): Promise<KubeObject[]> {
  return parseObjects(await renderChartText(options));
}

/** `kubectl kustomize <dir>` (relative to the repository), parsed. */
export async function kustomize(dir: string): Promise<KubeObject[]> {
  const cluster = await ensureCluster();
  const { stdout } = await cluster.kubectl(['kustomize', join(REPO_ROOT, dir)]);
  return parseObjects(stdout);
}

export const key = (o: KubeObject): string => `${o.kind}/${o.metadata.namespace ?? '-'}/${o.metadata.name}`;

export function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${objects.map(key).join(', ')}`);
  return found;
}

/** Kinds whose API comes from the Prometheus Operator's CRDs (not served by a bare cluster). */
export const MONITORING_GROUP = 'monitoring.coreos.com/';
export const isMonitoring = (o: KubeObject): boolean => o.apiVersion.startsWith(MONITORING_GROUP);

/**
 * A stream kubectl reads: one JSON document per object. Not YAML from the yaml package: it writes
 * YAML 1.2, where `on` is a string, and kubectl's YAML 1.1 parser would read it back as a boolean.
 */
export function toYamlStream(objects: KubeObject[]): string {
  return objects.map((o) => JSON.stringify(o)).join('\n---\n');
}
