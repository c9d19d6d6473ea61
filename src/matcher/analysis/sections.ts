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

const clean = (line: string) => line.replace(/^[\s#*_>\-•·]+|[\s*_:]+$/g, '').trim().toLowerCase();

const HEADING_PREFERRED = /^(nice[\s-]to[\s-]haves?|preferred(\s+(qualifications|skills|experience))?|bonus(\s+points)?|pluses|desirable|good[\s-]to[\s-]have|extra credit|it'?s a plus|even better|ideally|optional)\b/;
const HEADING_REQUIRED = /^(requirements|required(\s+(skills|qualifications|experience))?|must[\s-]haves?|(minimum|basic|key|essential)\s+(qualifications|requirements|skills)|qualifications|what you('ll| will)?\s+(need|bring)|who you are|about you|you have|(required\s+)?skills|what we('re| are)?\s+looking for|your (profile|background|skills|experience)|responsibilities|key responsibilities|what you('ll| will)?\s+do|the role|your role|in this role|day[\s-]to[\s-]day|tech stack|our stack|technologies)\b/;
const HEADING_IGNORE = /^(benefits|perks|what we offer|about us|about the company|who we are|compensation|salary|our company|why join us|equal opportunity|how to apply|our values|location)\b/;
const SENTENCE_PREFERRED = /\b(nice[\s-]to[\s-]have|is a (big |huge )?plus|are a plus|a plus\b|bonus|preferred|preferably|desirable|ideally|advantageous|not required|would be great|good to have|familiarity with .* helps)\b/i;

export function segmentJob(text: string): Segment[] {
  const segments: Segment[] = [];
  let mode: Requirement = 'required';
  let sawHeading = false;
  const preHeading: Segment[] = [];
  let offset = 0;
  for (const line of text.split('\n')) {
    const start = offset;
    offset += line.length + 1;
    const heading = clean(line);
    const isHeadingShape = heading.length > 0 && heading.length <= 60 && (/:\s*$/.test(line) || /^\s*#/.test(line) || heading.split(/\s+/).length <= 5);
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
    for (const sentence of line.split(/(?<=[.!?;])\s+(?=[A-Z])/)) {
      const at = line.indexOf(sentence, sentenceStart);
      sentenceStart = at + sentence.length;
      const own: Requirement = mode !== 'ignore' && SENTENCE_PREFERRED.test(sentence) ? 'preferred' : mode;
      const segment = { text: sentence, start: start + at, mode: own };
      if (!sawHeading) preHeading.push(segment);
      segments.push(segment);
    }
  }
  // When the job has sections, the introduction before them is context, not a requirement list.
  if (sawHeading) for (const s of preHeading) if (s.mode === 'required') s.mode = 'preferred';
  return segments;
}
