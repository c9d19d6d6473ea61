/**
 * Property tests (fast-check): the linear-time text processing of issue 15 answers as the
 * backtracking expressions it replaced did. The old expressions are kept here, as the oracle.
 * One change is deliberate: a month name inside a word ("Primary 2015") is no longer a month, so
 * the date-range texts put months at the start of words.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { rangeYears, statedYears } from '../../../src/matcher/analysis/experience.js';
import { headingText, preferredCue } from '../../../src/matcher/analysis/sections.js';

// --- the oracle: the expressions as they were (src/matcher/analysis before issue 15)
const NUMBER_WORDS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, twenty: 20,
};
const NUM = '(\\d{1,2}(?:\\.\\d)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|twenty)';
const OLD_YEARS = new RegExp(`(?:(?:over|more than|at least|minimum(?: of)?|min\\.?)\\s+)?${NUM}\\s*\\+?\\s*(?:(?:-|–|to)\\s*${NUM}\\s*\\+?\\s*)?(?:years?|yrs?)\\b([^.\\n]{0,60})`, 'gi');
const MONTHS = 'jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec';
const OLD_DATE = `(?:(${MONTHS})[a-z]*\\.?\\s+|(\\d{1,2})/)?((?:19|20)\\d{2})`;
const OLD_RANGE = new RegExp(`${OLD_DATE}\\s*(?:-|–|—|to|until)\\s*(?:${OLD_DATE}|(present|current|now|today|ongoing))`, 'gi');
const oldClean = (line: string) => line.replace(/^[\s#*_>\-•·]+|[\s*_:]+$/g, '').trim().toLowerCase();
const OLD_SENTENCE_PREFERRED = /\b(nice[\s-]to[\s-]have|is a (big |huge )?plus|are a plus|a plus\b|bonus|preferred|preferably|desirable|ideally|advantageous|not required|would be great|good to have|familiarity with .* helps)\b/i;

function oldStatedYears(text: string, options: { requireExperienceWord?: boolean } = {}): number | null {
  let best: number | null = null;
  for (const m of text.matchAll(OLD_YEARS)) {
    const low = NUMBER_WORDS[m[1]!.toLowerCase()] ?? Number(m[1]);
    const tail = m[3] ?? '';
    if (options.requireExperienceWord && !/\b(experience|professional|industry|working|hands-on|building|developing|in\b|with\b)/i.test(tail)) continue;
    if (/\b(old|ago|warranty|contract|guarantee)\b/i.test(tail.slice(0, 12))) continue;
    if (low > 0 && low <= 45) best = Math.max(best ?? 0, low);
  }
  return best;
}

function oldRangeYears(text: string, asOf: Date): number | null {
  const spans: [number, number][] = [];
  const now = asOf.getUTCFullYear() + asOf.getUTCMonth() / 12;
  for (const m of text.matchAll(OLD_RANGE)) {
    const from = Number(m[3]) + oldMonthOf(m[1], m[2]);
    const to = m[7] ? now : Number(m[6]) + oldMonthOf(m[4], m[5]) + (m[4] || m[5] ? 1 / 12 : 0.99);
    if (!(to >= from) || to - from > 45) continue;
    spans.push([from, to]);
  }
  if (spans.length === 0) return null;
  spans.sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [curFrom, curTo] = spans[0]!;
  for (const [f, t] of spans.slice(1)) {
    if (f <= curTo) curTo = Math.max(curTo, t);
    else { total += curTo - curFrom; [curFrom, curTo] = [f, t]; }
  }
  total += curTo - curFrom;
  return Math.round(total * 10) / 10;
}

function oldMonthOf(name: string | undefined, numeric: string | undefined): number {
  if (numeric) return (Math.min(12, Math.max(1, Number(numeric))) - 1) / 12;
  if (!name) return 0;
  const i = MONTHS.split('|').indexOf(name.toLowerCase().slice(0, 3));
  return i >= 0 ? i / 12 : 0;
}
// --- end of the oracle

/** Text from pieces that exercise the expressions: numbers, runs of spaces, pluses, ranges, cues. */
const textOf = (pieces: string[], maxLength = 40) => fc.array(fc.constantFrom(...pieces), { maxLength }).map((xs) => xs.join(''));

const ws = fc.constantFrom('', ' ', '   ', '\t', '\n');
const num = fc.constantFrom('5', '12', '3.5', '0', '99', 'ten', 'Twenty');
/** "over 5 + - 7+ years of experience" and its near misses, between noise. */
const statement = fc.tuple(
  fc.constantFrom('', 'over ', 'more than ', 'at least ', 'minimum of ', 'min. ', 'min'), num, ws, fc.constantFrom('', '+', '++'), ws,
  fc.option(fc.tuple(fc.constantFrom('-', '–', 'to', 'from'), ws, num, ws, fc.constantFrom('', '+'), ws).map((r) => r.join('')), { nil: '' }),
  fc.constantFrom('years', 'Years', 'yrs', 'yr', 'year', 'yearly', ''),
  fc.constantFrom('', ' of experience', ' in Go', ' with Kafka', ' old', ' ago', '. In Go', '\nin Go', ' building APIs'),
).map((parts) => parts.join(''));
const noise = fc.constantFrom(' ', '   ', '.', '\n', 'a', 'x', '5', '+', 'to', 'years');
const yearsText = fc.array(fc.oneof(statement, noise), { maxLength: 8 }).map((xs) => xs.join(''));

test('stated years: the same as the old expression on text of statements and noise', () => {
  fc.assert(fc.property(yearsText, fc.boolean(), (text, requireExperienceWord) => {
    assert.equal(statedYears(text, { requireExperienceWord }), oldStatedYears(text, { requireExperienceWord }));
  }), { numRuns: 3000 });
});

const rangePieces = ['2015', '2019', '1998', '2023', ' ', '  ', '-', ' - ', '–', '—', ' to ', ' until ', 'Present', 'current', 'now',
  ' Jan ', ' March ', ' Sept. ', ' dec ', ' 03/', ' 12/', '(', ')', ',', '\n', 'Acme', ' Engineer '];

test('date ranges: the same as the old expression when months start words', () => {
  const asOf = new Date('2026-01-01T00:00:00Z');
  fc.assert(fc.property(textOf(rangePieces), (text) => {
    assert.equal(rangeYears(text, asOf), oldRangeYears(text, asOf));
  }), { numRuns: 2000 });
});

test('date ranges: a month name inside a word is the one difference', () => {
  const asOf = new Date('2026-01-01T00:00:00Z');
  assert.equal(oldRangeYears('Primary 2015 - Dec 2015', asOf), 0.8);
  assert.equal(rangeYears('Primary 2015 - Dec 2015', asOf), 1);
});

const headingPieces = [' ', '\t', '\u00a0', '#', '*', '_', '>', '-', '•', '·', ':', 'a', 'B', 'Requirements', 'nice to have', '.', '\r'];

test('heading text: the same as the old clean() on any line of its pieces', () => {
  fc.assert(fc.property(textOf(headingPieces), (line) => {
    assert.equal(headingText(line), oldClean(line));
  }), { numRuns: 3000 });
});

test('heading text: the same as the old clean() on any string', () => {
  fc.assert(fc.property(fc.string({ maxLength: 30 }), (line) => {
    assert.equal(headingText(line), oldClean(line));
  }), { numRuns: 2000 });
});

const cuePieces = ['familiarity with ', 'Familiarity With ', 'Kafka', ' ', '  ', ' helps', 'helps', ' helpsx', '\r', '\u2028', 'x', '.', 'is a plus',
  'nice to have', 'bonus', 'required'];

test('preferred cue: the same as the old expression on any sentence of its pieces', () => {
  fc.assert(fc.property(textOf(cuePieces, 12), (sentence) => {
    assert.equal(preferredCue(sentence), OLD_SENTENCE_PREFERRED.test(sentence));
  }), { numRuns: 3000 });
});
