/**
 * Legal 100 KB documents (the API's limit is 100 000 characters) shaped to make a backtracking
 * regular expression try every split of a long run: each one blocked the event loop for seconds
 * before the analysis's text processing was made linear (issue 15). Shared by the unit tests
 * (which check the answer), the integration test and `make bench-analysis` (which time it).
 */
export const ADVERSARIAL_LENGTH = 100_000;

const fill = (head: string, unit: string, tail = '') => head + unit.repeat(Math.floor((ADVERSARIAL_LENGTH - head.length - tail.length) / unit.length)) + tail;

export interface AdversarialInput {
  name: string;
  /** Which document carries it. */
  field: 'resume' | 'job';
  text: string;
  /** The expression it was aimed at (as it was). */
  target: string;
}

export const ADVERSARIAL_INPUTS: readonly AdversarialInput[] = [
  { name: 'resume: "5" and spaces', field: 'resume', text: fill('5', ' '), target: 'experience.ts YEARS: \\s*\\+?\\s*' },
  { name: 'resume: "5 to 5" and spaces', field: 'resume', text: fill('5 to 5', ' '), target: 'experience.ts YEARS (the range\'s \\s*\\+?\\s*)' },
  { name: 'resume: "jan" repeated in one word', field: 'resume', text: fill('', 'jan', ' 2019'), target: 'experience.ts RANGE: (month)[a-z]*' },
  { name: 'job: "a", spaces and "b"', field: 'job', text: fill('a', ' ', 'b'), target: 'sections.ts clean: [\\s*_:]+$' },
  { name: 'job: "familiarity with " repeated', field: 'job', text: fill('', 'familiarity with '), target: 'sections.ts SENTENCE_PREFERRED: familiarity with .* helps' },
  { name: 'job: 100 000 blank lines', field: 'job', text: fill('', '\n'), target: 'per-line work in segmentJob and the per-segment analysis' },
];
