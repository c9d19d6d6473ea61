import { Gauge, type Registry } from 'prom-client';
import type { RuntimeHealth, RuntimeReport } from '../contract/health.js';
import { runtimeGenerationMetric } from '../contract/metrics.js';
import { parseRuntimeDocument, supersedes, type KnobHandlers, type RuntimeDocument, type RuntimeKnob } from '../contract/runtime-document.js';
import type { ServiceLevel } from '../contract/service-levels.js';
import type { RuntimeLogger } from './logger.js';
import type { ServiceLevelSource } from './middleware.js';
import type { ResizablePool } from './pool.js';
import { QueueKnobs, type GovernedQueue } from './queues.js';
import type { RuntimeSource, RuntimeUpdate } from './source.js';

export interface RuntimeClientOptions {
  /** Where documents come from; undefined: none, the start-up configuration stays (and health says so). */
  source: RuntimeSource | undefined;
  /** The pool `db.poolMax` resizes. */
  pool?: ResizablePool;
  /** The queues `queues.<name>` governs: their concurrency on this replica and cluster-wide rate limit. */
  queues?: QueueKnobs | Record<string, GovernedQueue>;
  registry: Registry;
  logger: RuntimeLogger;
  /** Exports `<prefix>_runtime_generation`. */
  metricPrefix: string;
}

/**
 * Makes a service governable by Plimsoll: applies runtime documents from one source, in
 * generation order, and reports what it applied in the contract's shape.
 *
 * - A document whose generation is not above the applied one is ignored (and counted), unless it
 *   comes from another lineage (the policy was deleted and created again): that one is applied.
 * - A broken, missing or deleted document, or a broken channel, keeps the last applied one and is
 *   reported (`runtime.lastError` in health, a warning in the log).
 * - A valid one sets the service level, resizes the pool (capped at the pool's hard maximum and
 *   reported as such), and sets each queue's concurrency and rate limit; nothing restarts.
 * - Updates are applied one at a time, in the order they arrive.
 */
export class RuntimeClient {
  /** The level of the applied document (Full before the first): what the middleware reports. */
  readonly levels: ServiceLevelSource = { current: () => this.level };
  readonly queues: QueueKnobs | undefined;
  private level: ServiceLevel = 'Full';
  private applied: RuntimeDocument | undefined;
  private appliedAt: Date | undefined;
  private lastError: string | null = null;
  private ignoredStale = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly knobs: KnobHandlers<void | Promise<void>>;

  constructor(private readonly options: RuntimeClientOptions) {
    const { queues, logger, registry } = options;
    if (queues instanceof QueueKnobs || queues === undefined) this.queues = queues;
    else {
      this.queues = new QueueKnobs(logger);
      for (const [name, governed] of Object.entries(queues)) this.queues.add(name, governed);
    }
    // One handler per knob of the contract: a knob added to the schema does not compile until
    // it is applied here.
    this.knobs = {
      serviceLevel: (level) => { this.level = level; },
      // The replica count the pool was sized for: informative, nothing for a replica to set.
      replicas: () => undefined,
      db: (db) => { if (db) this.resizePool(db.poolMax); },
      queues: async (q) => { await this.queues?.apply(q); },
    };
    const gauge: Gauge = new Gauge({
      name: runtimeGenerationMetric(options.metricPrefix), help: 'Generation of the runtime document this replica applied (-1: none yet).',
      registers: [registry], collect: () => { gauge.set(this.applied?.generation ?? -1); },
    });
  }

  async start(): Promise<void> {
    await this.queues?.start();
    if (!this.options.source) return;
    await this.options.source.start((u) => { this.chain = this.chain.then(() => this.handle(u)); });
    await this.chain;
  }

  async stop(): Promise<void> {
    this.queues?.close();
    await this.options.source?.stop();
    await this.chain;
  }

  /** The document applied last (undefined: none yet, the service runs its start-up configuration). */
  document(): RuntimeDocument | undefined {
    return this.applied;
  }

  /** What this replica runs, in the contract's shape (the `runtime` health field). */
  status(): RuntimeReport {
    return {
      generation: this.applied?.generation ?? null,
      lineage: this.applied?.lineage ?? null,
      policy: this.applied?.policy ?? null,
      appliedAt: this.appliedAt?.toISOString() ?? null,
      issuedAt: this.applied?.issuedAt ?? null,
      source: this.options.source?.description ?? null,
      lastError: this.lastError,
      ignoredStale: this.ignoredStale,
      poolMax: this.options.pool?.max ?? null,
    };
  }

  /** The fields to put at the top level of the service's health document (`/health/details`). */
  health(): RuntimeHealth {
    const runtime = this.status();
    return { runtimeGeneration: runtime.generation, runtime };
  }

  private async handle(update: RuntimeUpdate): Promise<void> {
    const { logger } = this.options;
    const keep = (problem: string, message: string) => {
      this.lastError = `${update.source}: ${problem}`;
      logger.warn({ source: update.source, err: problem, generation: this.applied?.generation }, message);
    };
    if (update.error || update.text === undefined) return keep(update.error?.message ?? 'no document', 'runtime document unavailable; keeping the last applied one');
    let doc: RuntimeDocument;
    try {
      doc = parseRuntimeDocument(update.text);
    } catch (error) {
      return keep((error as Error).message, 'runtime document invalid; keeping the last applied one');
    }
    this.lastError = null;
    // A re-created policy starts a new lineage at generation 1: newer, whatever the number.
    if (this.applied && !supersedes(doc, this.applied)) {
      if (doc.generation < this.applied.generation) this.ignoredStale++;
      return;
    }
    const previous = this.applied;
    for (const knob of Object.keys(this.knobs) as RuntimeKnob[]) {
      try {
        await (this.knobs[knob] as (value: unknown) => void | Promise<void>)(doc[knob]);
      } catch (error) {
        // A knob that cannot be set now (Redis down) must not hold back the others.
        this.lastError = `${knob}: ${(error as Error).message}`;
        logger.warn({ knob, err: (error as Error).message }, 'runtime document: a knob was not applied');
      }
    }
    this.applied = doc;
    this.appliedAt = new Date();
    logger.info({
      source: update.source, generation: doc.generation, from: previous?.generation ?? null, serviceLevel: doc.serviceLevel,
      poolMax: this.options.pool?.max ?? null, queues: doc.queues,
    }, 'runtime document applied');
  }

  private resizePool(requested: number): void {
    const { pool, logger } = this.options;
    if (!pool) return;
    const applied = Math.min(requested, pool.hardMax);
    // Not silent: health reports the pool that runs, and the operator's status shows it.
    if (applied < requested) logger.warn({ requested, applied, hardMax: pool.hardMax }, 'runtime document asks for a pool above this replica\'s ceiling; running the ceiling');
    pool.resize(applied);
  }
}
