import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../observability/logger.js';
import { parseRuntimeDocument, type RuntimeDocument, type RuntimeSource, type RuntimeUpdate } from './document.js';

/** What applying a document changes; each target is idempotent and never throws for a valid document. */
export interface RuntimeTargets {
  poolMax(n: number): void;
  serviceLevel(level: RuntimeDocument['serviceLevel']): void;
  queues(queues: RuntimeDocument['queues']): Promise<void>;
}

export interface RuntimeStatus {
  /** The generation applied (null: none yet, start-up configuration in force). */
  generation: number | null;
  policy: string | null;
  appliedAt: string | null;
  issuedAt: string | null;
  source: string | null;
  /** The last channel or document problem since the last good document (null when healthy). */
  lastError: string | null;
  /** Documents with a generation ≤ the applied one, ignored. */
  ignoredStale: number;
}

/**
 * Applies runtime documents from one source, in generation order: a document whose generation is
 * not above the applied one is ignored; a broken or missing document keeps the last applied one
 * and is reported in health (`lastError`) and the log. Updates are applied one at a time.
 */
export class RuntimeManager {
  private applied: RuntimeDocument | undefined;
  private appliedAt: Date | undefined;
  private lastError: string | null = null;
  private ignoredStale = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(doc: RuntimeDocument) => void>();

  constructor(private readonly source: RuntimeSource | undefined, private readonly targets: RuntimeTargets, private readonly logger: Logger, registry: Registry) {
    const gauge: Gauge = new Gauge({
      name: 'matcher_runtime_generation', help: 'Generation of the runtime document this replica applied (-1: none yet).',
      registers: [registry], collect: () => { gauge.set(this.applied?.generation ?? -1); },
    });
  }

  async start(): Promise<void> {
    if (!this.source) return;
    await this.source.start((u) => { this.chain = this.chain.then(() => this.handle(u)); });
    await this.chain;
  }

  async stop(): Promise<void> {
    await this.source?.stop();
    await this.chain;
  }

  /** Resolves after every update received so far is handled (tests). */
  settled(): Promise<void> {
    return this.chain;
  }

  onApplied(listener: (doc: RuntimeDocument) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get document(): RuntimeDocument | undefined {
    return this.applied;
  }

  status(): RuntimeStatus {
    return {
      generation: this.applied?.generation ?? null,
      policy: this.applied?.policy ?? null,
      appliedAt: this.appliedAt?.toISOString() ?? null,
      issuedAt: this.applied?.issuedAt ?? null,
      source: this.source?.description ?? null,
      lastError: this.lastError,
      ignoredStale: this.ignoredStale,
    };
  }

  /** Applies one update (exposed for tests and for sources pushing documents directly). */
  async handle(update: RuntimeUpdate): Promise<void> {
    if (update.error || update.text === undefined) {
      this.lastError = `${update.source}: ${update.error?.message ?? 'no document'}`;
      this.logger.warn({ source: update.source, err: update.error?.message, generation: this.applied?.generation }, 'runtime document unavailable; keeping the last applied one');
      return;
    }
    let doc: RuntimeDocument;
    try {
      doc = parseRuntimeDocument(update.text);
    } catch (error) {
      this.lastError = `${update.source}: ${(error as Error).message}`;
      this.logger.warn({ source: update.source, err: (error as Error).message, generation: this.applied?.generation }, 'runtime document invalid; keeping the last applied one');
      return;
    }
    this.lastError = null;
    if (this.applied && doc.generation <= this.applied.generation) {
      if (doc.generation < this.applied.generation) this.ignoredStale++;
      return;
    }
    const previous = this.applied;
    this.targets.serviceLevel(doc.serviceLevel);
    if (doc.db) this.targets.poolMax(doc.db.poolMax);
    try {
      await this.targets.queues(doc.queues);
    } catch (error) {
      this.lastError = `queues: ${(error as Error).message}`;
      this.logger.warn({ err: (error as Error).message }, 'runtime document: queue limits not fully applied');
    }
    this.applied = doc;
    this.appliedAt = new Date();
    this.logger.info({
      source: update.source, generation: doc.generation, from: previous?.generation ?? null, serviceLevel: doc.serviceLevel,
      poolMax: doc.db?.poolMax ?? null, queues: doc.queues,
    }, 'runtime document applied');
    for (const l of this.listeners) l(doc);
  }
}
