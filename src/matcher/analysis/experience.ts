/** Experience signals: years of experience and seniority words, from free text. */
import { matchesOf } from './matches.js';

export const SENIORITY_LEVELS = ['intern', 'junior', 'mid', 'senior', 'lead', 'principal', 'executive'] as const;
export type Seniority = (typeof SENIORITY_LEVELS)[number];

const SENIORITY_WORDS: [RegExp, Seniority][] = [
  [/\b(chief \w+ officer|cto|ceo|cfo|coo|cmo|vp|vice president|head of|director)\b/i, 'executive'],
  [/\b(principal|distinguished|architect)\b/i, 'principal'],
  [/\b(staff|lead|team lead|tech lead|engineering manager)\b/i, 'lead'],
  [/\b(senior|sr\.?)\b/i, 'senior'],
  [/\b(mid[\s-]?level|intermediate|mid[\s-]senior)\b/i, 'mid'],
  [/\b(junior|jr\.?|entry[\s-]level|graduate|associate|new grad)\b/i, 'junior'],
  [/\b(intern|internship|trainee|apprentice)\b/i, 'intern'],
];

const NUMBER_WORDS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, twenty: 20,
};
const NUM = '(\\d{1,2}(?:\\.\\d)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|twenty)';
// Linear time: never two unbounded quantifiers over the same characters side by side. `\s*\+?\s*`
// (as it was) splits a run of k spaces k² ways before failing: 19 s for a 100 KB resume of "5" and
// spaces; `\s*(?:\+\s*)?` matches the same strings one way.
const YEARS = new RegExp(`(?:(?:over|more than|at least|minimum(?: of)?|min\\.?)\\s+)?${NUM}\\s*(?:\\+\\s*)?(?:(?:-|–|to)\\s*${NUM}\\s*(?:\\+\\s*)?)?(?:years?|yrs?)\\b([^.\\n]{0,60})`, 'gi');
const MONTHS = 'jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec';
// A month name starts a word: `[a-z]*` runs to the end of the word, so trying it from every
// letter of a long word ("janjanjan…") is quadratic; after another letter it is not a month anyway
// ("Primary 2015" is not March 2015).
const DATE = `(?:(?<![a-z])(${MONTHS})[a-z]*\\.?\\s+|(\\d{1,2})/)?((?:19|20)\\d{2})`;
const YEAR = /\b(?:19|20)\d{2}\b/g;
const RANGE = new RegExp(`${DATE}\\s*(?:-|–|—|to|until)\\s*(?:${DATE}|(present|current|now|today|ongoing))`, 'gi');

function toNumber(word: string): number {
  return NUMBER_WORDS[word.toLowerCase()] ?? Number(word);
}

/** Stated years of experience ("5+ years of experience", "over ten years in..."); the largest. */
export function statedYears(text: string, options: { requireExperienceWord?: boolean } = {}): number | null {
  let best: number | null = null;
  for (const m of matchesOf(YEARS, text)) {
    const low = toNumber(m[1]!);
    const tail = m[3] ?? '';
    if (options.requireExperienceWord && !/\b(experience|professional|industry|working|hands-on|building|developing|in\b|with\b)/i.test(tail)) continue;
    if (/\b(old|ago|warranty|contract|guarantee)\b/i.test(tail.slice(0, 12))) continue;
    if (low > 0 && low <= 45) best = Math.max(best ?? 0, low);
  }
  return best;
}

/** Years covered by date ranges ("Mar 2018 – Present", "2015-2019"), overlaps merged. */
export function rangeYears(text: string, asOf: Date | undefined): number | null {
  const spans: [number, number][] = [];
  const years = matchesOf(YEAR, text).map((m) => Number(m[0]));
  const now = asOf ? asOf.getUTCFullYear() + asOf.getUTCMonth() / 12 : years.length ? Math.max(...years) + 0.5 : null;
  for (const m of matchesOf(RANGE, text)) {
    const from = Number(m[3]) + monthOf(m[1], m[2]);
    let to: number | null;
    if (m[7]) to = now;
    else to = Number(m[6]) + monthOf(m[4], m[5]) + (m[4] || m[5] ? 1 / 12 : 0.99); // the end month counts
    if (to === null || !(to >= from) || to - from > 45) continue;
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

function monthOf(name: string | undefined, numeric: string | undefined): number {
  if (numeric) return (Math.min(12, Math.max(1, Number(numeric))) - 1) / 12;
  if (!name) return 0;
  const i = MONTHS.split('|').indexOf(name.toLowerCase().slice(0, 3));
  return i >= 0 ? i / 12 : 0;
}

/** The highest seniority word in the text (a title, a headline, the top of a resume). */
export function seniorityOf(text: string): Seniority | null {
  for (const [pattern, level] of SENIORITY_WORDS) if (pattern.test(text)) return level;
  return null;
}

export function seniorityFromYears(years: number): Seniority {
  if (years < 2) return 'junior';
  if (years < 5) return 'mid';
  if (years < 9) return 'senior';
  return 'lead';
}

export function levelIndex(s: Seniority): number {
  return SENIORITY_LEVELS.indexOf(s);
}
