/**
 * The entry of the local matcher's worker threads (pool.ts): one analysis per task, off the
 * server's event loop. Dates cross the thread boundary as ISO strings.
 */
import { analyse, type AnalysisResult, type JobInput, type ResumeInput } from './analyse.js';

export interface AnalysisTask {
  resume: ResumeInput;
  job: JobInput;
  /** What "present" means in the resume's date ranges. */
  asOf: string;
}

export default function analyseTask(task: AnalysisTask): AnalysisResult {
  return analyse(task.resume, task.job, { asOf: new Date(task.asOf) });
}
