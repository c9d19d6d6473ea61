/**
 * What the simulated users ask for. Each request is, with probability `analysisShare`, a POST
 * /v1/analyses — re-asking an already-analysed pair with probability `cacheHitRatio` (how the
 * scenario's cache-hit ratio is approximated: whether it really hits depends on the service
 * level and which provider answered before, which the report measures), otherwise a pair not
 * asked before. The other requests are reads: a user with a queued analysis polls it (the
 * simulator counts an analysis only when its result arrives), else a stored result (GET
 * /v1/analyses/:id) with probability `resultReadShare`, else one of the three listings.
 * Users are spread round-robin over the seeded tenants; everything is drawn from a seeded PRNG.
 */
import { mulberry32 } from '../../src/plimsoll/shared/random.js';
import { analysisSourceOf, answeredByOf } from './answers.js';
import type { OutcomeClass } from './outcome.js';
import type { AnalysisRecord, RequestKind } from './records.js';

export interface TenantCatalog {
  key: string;
  resumes: string[];
  jobs: string[];
  /** "resumeId jobId" → the analysis id of a stored result for that pair. */
  analysed: Map<string, string>;
  /** The same pairs as a list, to draw from without copying the map. */
  analysedPairs: string[];
  /** Pairs this run has asked for (so "new" stays new). */
  asked: Set<string>;
  /** Stored analysis ids, for result reads. */
  results: string[];
}

export interface WorkloadMix {
  analysisShare: number;
  cacheHitRatio: number;
  resultReadShare: number;
  /** A queued analysis not answered within this long is given up (the simulator's jobDeadlineSeconds). */
  deadlineSeconds: number;
}

export interface RequestSpec {
  kind: RequestKind;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  key: string;
  tenant: number;
  pair?: string;
  pending?: Pending;
}

/** One HTTP answer (or its absence) as the workload learns from it. */
export interface ServerAnswer {
  sentAt: number;
  doneAt: number;
  /** 0: no HTTP answer (timeout, connection error). */
  status: number;
  outcome: OutcomeClass;
  body?: string | undefined;
  /** The X-Analysis-Source header of the answer. */
  analysisSource?: string | undefined;
}

interface Pending {
  id: string;
  postedAt: number;
  record: AnalysisRecord;
}

export interface UserState {
  index: number;
  tenant: number;
  pending: Pending[];
}

const pairKey = (resumeId: string, jobId: string) => `${resumeId} ${jobId}`;

export class Workload {
  readonly analyses: AnalysisRecord[] = [];
  /** New pairs that had to reuse an asked pair because none was left: reported as a fidelity note. */
  exhaustedPairs = 0;
  private readonly random: () => number;

  constructor(readonly tenants: TenantCatalog[], readonly mix: WorkloadMix, seed: number) {
    if (tenants.length === 0) throw new Error('the workload needs at least one tenant');
    this.random = mulberry32(seed);
  }

  user(index: number): UserState {
    return { index, tenant: index % this.tenants.length, pending: [] };
  }

  private pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[Math.floor(this.random() * items.length)];
  }

  /** The user's next request, at `now` seconds since the start. */
  next(user: UserState, now: number): RequestSpec {
    const tenant = this.tenants[user.tenant]!;
    const base = { key: tenant.key, tenant: user.tenant };
    this.expire(user, now);
    if (this.random() < this.mix.analysisShare) {
      const repeat = this.random() < this.mix.cacheHitRatio ? this.pick(tenant.analysedPairs) : undefined;
      const pair = repeat ?? this.freshPair(tenant);
      if (pair) {
        tenant.asked.add(pair);
        const [resumeId, jobId] = pair.split(' ');
        return { ...base, kind: repeat ? 'analysis-repeat' : 'analysis-new', method: 'POST', path: '/v1/analyses', body: JSON.stringify({ resumeId, jobId }), pair };
      }
    }
    const pending = user.pending[0];
    if (pending) return { ...base, kind: 'result-poll', method: 'GET', path: `/v1/analyses/${pending.id}`, pending };
    const result = this.random() < this.mix.resultReadShare ? this.pick(tenant.results) : undefined;
    if (result) return { ...base, kind: 'result-read', method: 'GET', path: `/v1/analyses/${result}` };
    const list = this.pick(['analyses', 'resumes', 'jobs'] as const)!;
    return { ...base, kind: `list-${list}`, method: 'GET', path: `/v1/${list}?limit=20` };
  }

  private freshPair(tenant: TenantCatalog): string | undefined {
    if (tenant.resumes.length === 0 || tenant.jobs.length === 0) return undefined;
    let pair = '';
    for (let attempt = 0; attempt < 50; attempt++) {
      pair = pairKey(this.pick(tenant.resumes)!, this.pick(tenant.jobs)!);
      if (!tenant.asked.has(pair) && !tenant.analysed.has(pair)) return pair;
    }
    this.exhaustedPairs++;
    return pair;
  }

  /** Queued analyses past the deadline are given up: the user stops waiting, as in the model. */
  private expire(user: UserState, now: number): void {
    while (user.pending.length > 0 && now - user.pending[0]!.postedAt > this.mix.deadlineSeconds) {
      const p = user.pending.shift()!;
      p.record.state = 'gaveUp';
      p.record.resolvedAt = now;
    }
  }

  /**
   * Learns from an answer: stored results and analysed pairs grow, every requested analysis is
   * recorded (refused ones too) and queued ones are followed.
   */
  answered(user: UserState, spec: RequestSpec, answer: ServerAnswer): { queued: boolean } {
    const tenant = this.tenants[spec.tenant]!;
    const { sentAt, doneAt, status, body } = answer;
    if (spec.method === 'POST') {
      const id = status === 200 || status === 201 || status === 202 ? dataId(body) : undefined;
      if (!id) {
        // No analysis exists: shed on purpose, or failed (an error, no answer, a 2xx without an id).
        const state = answer.outcome === 'shed' ? 'shed' : 'failed';
        this.analyses.push({ postedAt: sentAt, immediate: true, state, resolvedAt: doneAt });
        return { queued: false };
      }
      const immediate = status !== 202;
      const record: AnalysisRecord = { id, postedAt: sentAt, immediate, state: immediate ? 'completed' : 'unresolved' };
      if (immediate) {
        const source = analysisSourceOf(answer.analysisSource);
        const answeredBy = answeredByOf(parse(body)?.data);
        Object.assign(record, { resolvedAt: doneAt, timeToResultSeconds: doneAt - sentAt, ...(source ? { source } : {}), ...(answeredBy ? { answeredBy } : {}) });
        this.stored(tenant, spec.pair!, id);
      } else if (!user.pending.some((p) => p.id === id)) {
        user.pending.push({ id, postedAt: sentAt, record });
      }
      this.analyses.push(record);
      return { queued: !immediate };
    }
    if (spec.kind === 'result-poll' && spec.pending) {
      const p = spec.pending;
      if (status === 200 || status === 404) {
        user.pending = user.pending.filter((q) => q !== p);
        if (p.record.state === 'unresolved') {
          p.record.state = status === 200 ? 'completed' : 'failed';
          p.record.resolvedAt = doneAt;
          if (status === 200) {
            const answeredBy = answeredByOf(parse(body)?.data);
            Object.assign(p.record, { timeToResultSeconds: doneAt - p.postedAt, source: 'queue', ...(answeredBy ? { answeredBy } : {}) });
          }
        }
        if (status === 200) {
          const pair = pairOf(body);
          if (pair) this.stored(tenant, pair, p.id);
        }
      }
    }
    return { queued: false };
  }

  private stored(tenant: TenantCatalog, pair: string, id: string): void {
    if (tenant.analysed.has(pair)) return;
    tenant.analysed.set(pair, id);
    tenant.analysedPairs.push(pair);
    tenant.results.push(id);
  }
}

interface AnalysisBody {
  data?: { id?: unknown; resumeId?: unknown; jobId?: unknown; answeredBy?: unknown; matcherVersion?: unknown };
}

function parse(body: string | undefined): AnalysisBody | undefined {
  if (!body) return undefined;
  try {
    return JSON.parse(body) as AnalysisBody;
  } catch {
    return undefined;
  }
}

function dataId(body: string | undefined): string | undefined {
  const id = parse(body)?.data?.id;
  return typeof id === 'string' ? id : undefined;
}

function pairOf(body: string | undefined): string | undefined {
  const data = parse(body)?.data;
  return typeof data?.resumeId === 'string' && typeof data.jobId === 'string' ? pairKey(data.resumeId, data.jobId) : undefined;
}
