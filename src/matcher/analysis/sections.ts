/**
 * Splits a job description into the parts that say how much a skill matters: what is required,
 * what is merely nice to have, and what to ignore (benefits, "about us"). Headings switch the
 * mode; a sentence with its own cue ("Kafka is a plus") overrides it for that sentence.
 */
export type Requirement = 'required' | 'preferred' | 'ignore';

export interface Segment {
  text: string;
  /** Offset of the segment in the original text. */
  start: number;
  mode: Requirement;
}

const LEADING = /[\s#*_>\-•·]/;
const TRAILING = /[\s*_:]/;

/**
 * A line without its markup (bullets, hashes, emphasis, a trailing colon), lower-cased. A loop,
 * not `/[\s*_:]+$/`: that pattern tries every position of a run and scans it to the end, k² steps
 * for a run of k spaces (11 s for a 100 KB job description of "a", spaces and "b").
 */
export function headingText(line: string): string {
  let start = 0;
  while (start < line.length && LEADING.test(line[start]!)) start++;
  let end = line.length;
  while (end > start && TRAILING.test(line[end - 1]!)) end--;
  return line.slice(start, end).toLowerCase();
}

const HEADING_PREFERRED = /^(nice[\s-]to[\s-]haves?|preferred(\s+(qualifications|skills|experience))?|bonus(\s+points)?|pluses|desirable|good[\s-]to[\s-]have|extra credit|it'?s a plus|even better|ideally|optional)\b/;
const HEADING_REQUIRED = /^(requirements|required(\s+(skills|qualifications|experience))?|must[\s-]haves?|(minimum|basic|key|essential)\s+(qualifications|requirements|skills)|qualifications|what you('ll| will)?\s+(need|bring)|who you are|about you|you have|(required\s+)?skills|what we('re| are)?\s+looking for|your (profile|background|skills|experience)|responsibilities|key responsibilities|what you('ll| will)?\s+do|the role|your role|in this role|day[\s-]to[\s-]day|tech stack|our stack|technologies)\b/;
const HEADING_IGNORE = /^(benefits|perks|what we offer|about us|about the company|who we are|compensation|salary|our company|why join us|equal opportunity|how to apply|our values|location)\b/;
const SENTENCE_PREFERRED = /\b(nice[\s-]to[\s-]have|is a (big |huge )?plus|are a plus|a plus\b|bonus|preferred|preferably|desirable|ideally|advantageous|not required|would be great|good to have)\b/i;
const COLON_END = /:\s*$/;
const HASH_START = /^\s*#/;
const SPACES = /\s+/;
/** Where a line holds several sentences (tested first: split copies the expression on every call). */
const SENTENCE_BREAK = /(?<=[.!?;])\s+(?=[A-Z])/;
const FAMILIARITY = /\bfamiliarity with /i;
const HELPS = / helps\b/gi;
/** What `.` does not match: the line's other terminators (segmentJob splits on \n already). */
const LINE_BREAK = /[\r\u2028\u2029]/;

/**
 * "Familiarity with X helps" (`/\bfamiliarity with .* helps\b/i`) without the regex: it scans the
 * rest of the line from every "familiarity with", quadratic in a line that repeats it. Only the
 * first one in a line needs trying: a later one finds no " helps" that the first would miss.
 */
function familiarityHelps(sentence: string): boolean {
  if (!FAMILIARITY.test(sentence)) return false;
  for (const part of sentence.split(LINE_BREAK)) {
    const at = part.search(FAMILIARITY);
    if (at < 0) continue;
    HELPS.lastIndex = at + 'familiarity with '.length;
    if (HELPS.test(part)) return true;
  }
  return false;
}

/** Whether a sentence says its skills are nice to have rather than required. */
export function preferredCue(sentence: string): boolean {
  return SENTENCE_PREFERRED.test(sentence) || familiarityHelps(sentence);
}

export function segmentJob(text: string): Segment[] {
  const segments: Segment[] = [];
  let mode: Requirement = 'required';
  let sawHeading = false;
  const preHeading: Segment[] = [];
  let offset = 0;
  for (const line of text.split('\n')) {
    const start = offset;
    offset += line.length + 1;
    const heading = headingText(line);
    // Nothing but spaces and markup: no words, no segment (100 KB of blank lines is 100 000 of them).
    if (heading === '') continue;
    const isHeadingShape = heading.length > 0 && heading.length <= 60 && (COLON_END.test(line) || HASH_START.test(line) || heading.split(SPACES).length <= 5);
    if (isHeadingShape) {
      let next: Requirement | undefined;
      if (HEADING_IGNORE.test(heading)) next = 'ignore';
      else if (HEADING_PREFERRED.test(heading)) next = 'preferred';
      else if (HEADING_REQUIRED.test(heading)) next = 'required';
      if (next) {
        mode = next;
        sawHeading = true;
        // A heading like "Requirements: Go, Kafka" carries content after the colon.
        const colon = line.indexOf(':');
        if (colon >= 0 && colon < line.length - 1) segments.push({ text: line.slice(colon + 1), start: start + colon + 1, mode });
        continue;
      }
    }
    // Sentences within the line, each with its own cue.
    let sentenceStart = 0;
    for (const sentence of SENTENCE_BREAK.test(line) ? line.split(SENTENCE_BREAK) : [line]) {
      const at = line.indexOf(sentence, sentenceStart);
      sentenceStart = at + sentence.length;
      const own: Requirement = mode !== 'ignore' && preferredCue(sentence) ? 'preferred' : mode;
      const segment = { text: sentence, start: start + at, mode: own };
      if (!sawHeading) preHeading.push(segment);
      segments.push(segment);
    }
  }
  // When the job has sections, the introduction before them is context, not a requirement list.
  if (sawHeading) for (const s of preHeading) if (s.mode === 'required') s.mode = 'preferred';
  return segments;
}
