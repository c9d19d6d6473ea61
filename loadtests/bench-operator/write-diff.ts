/**
 * What a write changed: the difference between two versions of the part of an object a contender
 * writes (a policy's status, a ConfigMap's data, a Deployment's replicas…), as leaf paths, and a
 * cause to group writes by. Pure, so the "steady-state writes by cause" table is unit-tested.
 *
 * Array elements that carry a key field (a condition's type, a signal's or provider's name) are
 * matched by it, so `status.conditions[SignalsHealthy].status` names the same condition in both
 * versions whatever the order; other arrays are matched by index.
 */

export interface LeafChange { path: string; before: unknown; after: unknown }

/** One write seen on a watch: an object created, or modified (with what changed). */
export interface WriteRecord {
  atMs: number;
  /** The watched kind, e.g. ScalingPolicy, ConfigMap, Deployment (replicas), Event. */
  kind: string;
  name: string;
  verb: 'created' | 'modified';
  changes: LeafChange[];
  /** What a created object says (an Event's note). */
  detail?: string;
  /** Written by someone other than the contender (the HPA controller, for KEDA). */
  byOthers?: boolean;
}

const KEY_FIELDS = ['type', 'name', 'provider', 'signal', 'level'] as const;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function keyOf(element: unknown): string | undefined {
  if (!isObject(element)) return undefined;
  for (const field of KEY_FIELDS) if (typeof element[field] === 'string') return element[field] as string;
  return undefined;
}

/** Keys for an array's elements: their key field when every element has a distinct one, else the index. */
function arrayKeys(items: unknown[]): string[] | undefined {
  const keys = items.map(keyOf);
  if (keys.some((k) => k === undefined) || new Set(keys).size !== keys.length) return undefined;
  return keys as string[];
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** Objects with sorted keys (the API server may return them in another order than they were written). */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (!isObject(v)) return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
}

/** The leaves that differ between two JSON values; a subtree present on one side only is one change. */
export function diffLeaves(before: unknown, after: unknown, path = ''): LeafChange[] {
  if (same(before, after)) return [];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffLeaves(before[k], after[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const kb = arrayKeys(before);
    const ka = arrayKeys(after);
    if (kb && ka) {
      const byKey = (items: unknown[], keys: string[]) => new Map(keys.map((k, i) => [k, items[i]]));
      const b = byKey(before, kb);
      const a = byKey(after, ka);
      const keys = [...new Set([...kb, ...ka])];
      return keys.flatMap((k) => diffLeaves(b.get(k), a.get(k), `${path}[${k}]`));
    }
    const length = Math.max(before.length, after.length);
    return Array.from({ length }, (_, i) => diffLeaves(before[i], after[i], `${path}[${i}]`)).flat();
  }
  return [{ path, before, after }];
}

const isTime = (v: unknown) => typeof v === 'string' && ISO_TIME.test(v);

/**
 * A leaf as it goes into a cause: its name, with the values when they say what happened (a
 * state, a reason, a flag: short strings and booleans), not when they only move (numbers, times,
 * messages), so writes of the same kind group together.
 */
function describeLeaf(name: string, c: LeafChange): string {
  const telling = (v: unknown) => v === undefined || typeof v === 'boolean' || (typeof v === 'string' && !isTime(v) && v.length <= 32 && !v.includes(' '));
  if (c.before === undefined && c.after !== undefined) return `${name} added`;
  if (c.after === undefined && c.before !== undefined) return `${name} removed`;
  if (telling(c.before) && telling(c.after)) return `${name} ${String(c.before)}→${String(c.after)}`;
  return name;
}

/** The parent of a leaf path and its last segment: `status.signals[load]` and `state`. */
function split(path: string): [string, string] {
  const m = /^(.*?)(?:\.([^.[\]]+)|(\[[^\]]+\]))$/.exec(path);
  if (!m) return ['', path];
  return [m[1]!, m[2] ?? m[3]!];
}

/**
 * What a write changed, as one line: leaves grouped by their parent, e.g.
 * `status.conditions[SignalsHealthy]{status True→False, reason AllFresh→SignalsStale, message, lastTransitionTime}`.
 */
export function causeOf(record: Pick<WriteRecord, 'kind' | 'verb' | 'changes'>): string {
  if (record.verb !== 'modified') return `${record.kind} ${record.verb}${record.changes.length ? `: ${causeOf({ ...record, verb: 'modified' })}` : ''}`;
  if (record.changes.length === 0) return `${record.kind}: nothing the contender writes (another field moved)`;
  const groups = new Map<string, string[]>();
  for (const c of record.changes) {
    const [parent, name] = split(c.path);
    // Positions in an index-matched array (memory.recommendations[3]) group as [n].
    const group = parent.replace(/\[\d+\]/g, '[n]');
    const leaf = describeLeaf(name.replace(/^\[\d+\]$/, '[n]'), c);
    const list = groups.get(group) ?? [];
    if (!list.includes(leaf)) list.push(leaf);
    groups.set(group, list);
  }
  const parts = [...groups].map(([parent, leaves]) => (parent ? `${parent}{${leaves.join(', ')}}` : leaves.join(', ')));
  return `${record.kind}: ${parts.join('; ')}`;
}

/** True when every changed leaf is a time: the write moved only a clock. */
export function onlyTimes(record: WriteRecord): boolean {
  return record.verb === 'modified' && record.changes.length > 0
    && record.changes.every((c) => (c.before === undefined || isTime(c.before)) && (c.after === undefined || isTime(c.after)));
}

export interface CauseRow {
  cause: string;
  count: number;
  objects: number;
  /** Every changed leaf a time (suspect: a write without a material change). */
  onlyTimes: boolean;
  /** Written by someone other than the contender. */
  byOthers: boolean;
  example: Pick<WriteRecord, 'atMs' | 'name' | 'changes' | 'detail'>;
}

/** The records within [fromMs, toMs] grouped by cause, most frequent first. */
export function writesByCause(records: WriteRecord[], fromMs: number, toMs: number): CauseRow[] {
  const rows = new Map<string, CauseRow & { names: Set<string> }>();
  for (const r of records) {
    if (r.atMs < fromMs || r.atMs > toMs) continue;
    const cause = causeOf(r);
    const row = rows.get(cause) ?? { cause, count: 0, objects: 0, onlyTimes: onlyTimes(r), byOthers: r.byOthers ?? false, example: { atMs: r.atMs, name: r.name, changes: r.changes, ...(r.detail ? { detail: r.detail } : {}) }, names: new Set<string>() };
    row.count++;
    row.names.add(r.name);
    rows.set(cause, row);
  }
  return [...rows.values()]
    .map(({ names, ...row }) => ({ ...row, objects: names.size }))
    .sort((a, b) => b.count - a.count || a.cause.localeCompare(b.cause));
}

/** A leaf change as text, values shortened: `status.signals[load].state: Fresh → Stale`. */
export function showChange(c: LeafChange, max = 80): string {
  const show = (v: unknown) => {
    if (v === undefined) return '∅';
    const s = (typeof v === 'string' ? v : JSON.stringify(v)).replace(/\s*\n\s*/g, ' ');
    return s.length > max ? `${s.slice(0, max - 1)}…` : s;
  };
  return `${c.path}: ${show(c.before)} → ${show(c.after)}`;
}
