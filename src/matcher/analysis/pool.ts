import { Piscina } from 'piscina';
import { PlimsollError } from '../../plimsoll/errors.js';
import type { AnalysisResult, JobInput, ResumeInput } from './analyse.js';
import type { AnalysisTask } from './worker.js';

/**
 * The local matcher off the event loop: analyses run on a fixed set of worker threads
 * (piscina), so a long one delays other analyses, never /healthz, /metrics or the requests
 * around it. Each analysis has a deadline from the moment it is asked for (waiting for a free
 * thread included); past it the caller gets ANALYSIS_TIMEOUT and a thread still running it is
 * stopped and replaced, so a runaway analysis costs one thread for the deadline, not forever.
 */
export interface AnalysisPoolOptions {
  threads: number;
  deadlineMs: number;
}

/** Analyses a resume against a job; the pool, or `analyse` itself where no pool runs. */
export type LocalAnalysis = (resume: ResumeInput, job: JobInput, asOf: Date) => Promise<AnalysisResult>;

// Compiled (dist/), this module and the worker are .js; under tsx (tests, `make matcher`) they are
// .ts, and a worker thread needs tsx's loader to read one.
const fromSource = import.meta.url.endsWith('.ts');
const WORKER = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url);

/** Analysis threads yield the CPU to the event loop's thread when both want it. */
const NICE_INCREMENT = 10;
/** An analysis of the largest documents needs a few MB; a thread that needs more is stopped, not the process. */
const THREAD_HEAP_MB = 64;

export class AnalysisPool {
  private readonly piscina: Piscina<AnalysisTask, AnalysisResult>;

  constructor(private readonly options: AnalysisPoolOptions) {
    this.piscina = new Piscina({
      filename: WORKER.href,
      minThreads: options.threads,
      maxThreads: options.threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      niceIncrement: NICE_INCREMENT,
      resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB },
      ...(fromSource ? { execArgv: ['--import', import.meta.resolve('tsx')] } : {}),
    });
  }

  readonly analyse: LocalAnalysis = async (resume, job, asOf) => {
    const signal = AbortSignal.timeout(this.options.deadlineMs);
    try {
      return await this.piscina.run({ resume, job, asOf: asOf.toISOString() }, { signal });
    } catch (error) {
      if (signal.aborted) {
        throw new PlimsollError('ANALYSIS_TIMEOUT', `the local matcher did not finish within ${this.options.deadlineMs} ms`, { cause: error });
      }
      throw error;
    }
  };

  /** Waiting and running analyses are abandoned (their callers get an error); the threads stop. */
  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
