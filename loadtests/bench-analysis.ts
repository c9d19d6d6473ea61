/**
 * The local matcher on adversarial 100 KB documents (numbers for the notes, not assertions): each
 * input of test/support/adversarial-text.ts analysed against an ordinary other document, next to
 * an ordinary resume and job padded to the same size (the baseline: what 100 KB costs anyway).
 * The target (issue 15) is under 50 ms each; before the fix the worst took about 19 s.
 * Run: make bench-analysis
 */
import { analyse, type JobInput, type ResumeInput } from '../src/matcher/analysis/analyse.js';
import { SampleData } from '../src/matcher/dev/sample-data.js';
import { ADVERSARIAL_INPUTS, ADVERSARIAL_LENGTH } from '../test/support/adversarial-text.js';
import { percentileSorted } from './load/stats.js';

const RUNS = 7;
const asOf = new Date('2026-01-01T00:00:00Z');

function timeAnalysis(resume: ResumeInput, job: JobInput): { medianMs: number; maxMs: number } {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    analyse(resume, job, { asOf });
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 10) / 10;
  return { medianMs: round(percentileSorted(samples, 0.5) ?? NaN), maxMs: round(samples.at(-1)!) };
}

/** Ordinary documents repeated to the adversarial inputs' size. */
function padded(text: string): string {
  return text.repeat(Math.ceil(ADVERSARIAL_LENGTH / (text.length + 1))).slice(0, ADVERSARIAL_LENGTH);
}

const data = new SampleData(7);
const sample = data.resume();
const sampleJob = data.job();
const resume: ResumeInput = { content: sample.content, headline: sample.headline };
const job: JobInput = { title: sampleJob.title, description: sampleJob.description };

analyse(resume, job, { asOf }); // compile the taxonomy and warm the expressions up
const rows = [
  { input: `baseline: ordinary resume padded to ${ADVERSARIAL_LENGTH} characters`, ...timeAnalysis({ ...resume, content: padded(`${resume.content}\n`) }, job) },
  { input: `baseline: ordinary job padded to ${ADVERSARIAL_LENGTH} characters`, ...timeAnalysis(resume, { ...job, description: padded(`${job.description}\n`) }) },
  ...ADVERSARIAL_INPUTS.map((a) => ({
    input: a.name,
    ...(a.field === 'resume' ? timeAnalysis({ ...resume, content: a.text }, job) : timeAnalysis(resume, { ...job, description: a.text })),
  })),
];
console.log(`analyse() on ${ADVERSARIAL_LENGTH}-character documents, ${RUNS} runs each, one thread`);
console.table(rows.map((r) => ({ input: r.input, 'median ms': r.medianMs, 'max ms': r.maxMs })));
