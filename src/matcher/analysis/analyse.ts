import { extractSkills, type SkillMention } from './extract.js';
import { levelIndex, rangeYears, seniorityFromYears, seniorityOf, statedYears, type Seniority } from './experience.js';
import { segmentJob, type Requirement, type Segment } from './sections.js';
import { defaultTaxonomy, tokenize, type Skill, type Taxonomy } from './taxonomy.js';

/**
 * The local matcher: a pure function from a resume and a job description to a scored,
 * explained match. Deterministic (same input, same output), no I/O, a few milliseconds. It is
 * the answer in Basic, when no provider is configured or healthy, and the base every provider's
 * answer refines.
 */
export const MATCHER_VERSION = 'local-1.0.0';

export interface ResumeInput {
  content: string;
  /** A headline or current title ("Senior Backend Engineer"), if known. */
  headline?: string | null;
}

export interface JobInput {
  title: string;
  description: string;
  /** Skills the job names explicitly, on top of what the description says. */
  requiredSkills?: readonly string[];
  preferredSkills?: readonly string[];
}

export interface AnalysisOptions {
  taxonomy?: Taxonomy;
  /** The date "present" means in a resume's date ranges; without it, the latest year named. */
  asOf?: Date;
}

export interface SkillRef {
  name: string;
  category: string;
  requirement: 'required' | 'preferred';
}

export interface PartialSkill extends SkillRef {
  /** The resume skill that partly covers it, and why. */
  via: string;
  relation: 'specialisation' | 'foundation' | 'related';
  credit: number;
}

export type Verdict = 'strong' | 'good' | 'partial' | 'weak';

export interface AnalysisResult {
  matcherVersion: string;
  matchPercentage: number;
  verdict: Verdict;
  scores: { skills: number | null; experience: number | null; seniority: number | null };
  commonSkills: SkillRef[];
  missingSkills: SkillRef[];
  partialSkills: PartialSkill[];
  /** Resume skills the job does not ask for (most relevant areas first). */
  additionalSkills: { name: string; category: string }[];
  experience: {
    resumeYears: number | null;
    resumeYearsSource: 'stated' | 'date-ranges' | null;
    requiredYears: number | null;
    resumeSeniority: Seniority | null;
    jobSeniority: Seniority | null;
  };
  strengths: string[];
  gaps: string[];
  explanation: string;
  interviewQuestions: string[];
}

interface JobSkill {
  skill: Skill | null;
  /** For explicit skills the taxonomy does not know. */
  customName?: string;
  requirement: 'required' | 'preferred';
  mentions: number;
}

const REQUIREMENT_WEIGHT = { required: 1, preferred: 0.35 } as const;
const COMPONENT_WEIGHT = { skills: 0.7, experience: 0.2, seniority: 0.1 } as const;

export function analyse(resume: ResumeInput, job: JobInput, options: AnalysisOptions = {}): AnalysisResult {
  const taxonomy = options.taxonomy ?? defaultTaxonomy();
  const resumeText = `${resume.headline ?? ''}\n${resume.content}`;
  const resumeSkills = extractSkills(resumeText, taxonomy);
  const jobSegments = segmentJob(job.description); // once, for skills and for years
  const jobSkills = collectJobSkills(job, jobSegments, taxonomy);
  const resumeTokens = new Set(tokenize(resumeText).map((t) => t.norm));

  // --- skills
  const common: SkillRef[] = [];
  const missing: SkillRef[] = [];
  const partial: PartialSkill[] = [];
  let weightSum = 0;
  let creditSum = 0;
  for (const js of jobSkills.values()) {
    const name = js.skill?.name ?? js.customName!;
    const category = js.skill?.category.slug ?? 'custom';
    const weight = REQUIREMENT_WEIGHT[js.requirement] * (js.skill?.category.weight ?? 1) * (1 + 0.15 * Math.min(js.mentions - 1, 2));
    weightSum += weight;
    const ref: SkillRef = { name, category, requirement: js.requirement };
    const has = js.skill ? resumeSkills.has(js.skill.name) : customPresent(js.customName!, resumeTokens);
    if (has) {
      common.push(ref);
      creditSum += weight;
      continue;
    }
    const related = js.skill ? relatedCredit(js.skill, resumeSkills, taxonomy) : undefined;
    if (related) {
      partial.push({ ...ref, ...related });
      creditSum += weight * related.credit;
    } else {
      missing.push(ref);
    }
  }
  const skillScore = weightSum > 0 ? creditSum / weightSum : null;

  // --- experience
  const stated = statedYears(resume.content);
  const ranged = rangeYears(resume.content, options.asOf);
  const resumeYears = stated ?? ranged;
  const requiredYears = requiredYearsOf(jobSegments);
  let experienceScore: number | null = null;
  if (requiredYears !== null) {
    experienceScore = resumeYears === null ? 0.5 : Math.min(1, resumeYears / requiredYears) ** 1.5;
  }
  const jobSeniority = seniorityOf(job.title) ?? seniorityOf(job.description.slice(0, 300));
  const resumeSeniority = seniorityOf(resume.headline ?? '') ?? seniorityOf(resume.content.slice(0, 300))
    ?? (resumeYears !== null ? seniorityFromYears(resumeYears) : null);
  let seniorityScore: number | null = null;
  if (jobSeniority && resumeSeniority) {
    const gap = levelIndex(resumeSeniority) - levelIndex(jobSeniority);
    seniorityScore = gap >= 0 ? 1 : gap === -1 ? 0.6 : 0.2;
  }

  // --- combine (components that could not be measured are left out, the rest renormalised)
  const parts: [number | null, number][] = [
    [skillScore, COMPONENT_WEIGHT.skills], [experienceScore, COMPONENT_WEIGHT.experience], [seniorityScore, COMPONENT_WEIGHT.seniority],
  ];
  const measured = parts.filter((p): p is [number, number] => p[0] !== null);
  let score: number;
  if (measured.length === 0 || skillScore === null) {
    // No recognisable skills in the job: fall back to vocabulary overlap, scaled down.
    const overlap = vocabularyOverlap(resumeText, `${job.title}\n${job.description}`);
    score = measured.length === 0 ? overlap : 0.5 * overlap + 0.5 * weighted(measured);
  } else {
    score = weighted(measured);
  }
  // Missing most required skills caps the score: experience cannot make up for the wrong stack.
  const requiredTotal = [...jobSkills.values()].filter((s) => s.requirement === 'required').length;
  const requiredMissing = missing.filter((s) => s.requirement === 'required').length;
  if (requiredTotal >= 3 && requiredMissing / requiredTotal > 0.5) score = Math.min(score, skillScore ?? score);
  const matchPercentage = Math.max(0, Math.min(100, Math.round(score * 100)));
  const verdict: Verdict = matchPercentage >= 80 ? 'strong' : matchPercentage >= 60 ? 'good' : matchPercentage >= 40 ? 'partial' : 'weak';

  const additional = [...resumeSkills.values()]
    .filter((m) => !jobSkills.has(m.skill.name))
    .sort((a, b) => areaRank(b.skill, jobSkills) - areaRank(a.skill, jobSkills) || b.count - a.count || a.first - b.first)
    .slice(0, 12)
    .map((m) => ({ name: m.skill.name, category: m.skill.category.slug }));

  const experience = {
    resumeYears, resumeYearsSource: (stated !== null ? 'stated' : ranged !== null ? 'date-ranges' : null) as 'stated' | 'date-ranges' | null,
    requiredYears, resumeSeniority, jobSeniority,
  };
  const { strengths, gaps } = strengthsAndGaps(common, missing, partial, experience);
  return {
    matcherVersion: MATCHER_VERSION,
    matchPercentage,
    verdict,
    scores: { skills: round3(skillScore), experience: round3(experienceScore), seniority: round3(seniorityScore) },
    commonSkills: common,
    missingSkills: missing,
    partialSkills: partial,
    additionalSkills: additional,
    experience,
    strengths,
    gaps,
    explanation: explain(job, matchPercentage, verdict, common, missing, partial, experience, jobSkills.size),
    interviewQuestions: questions(common, missing, partial, experience),
  };
}

function weighted(parts: [number, number][]): number {
  const total = parts.reduce((s, [, w]) => s + w, 0);
  return parts.reduce((s, [v, w]) => s + v * w, 0) / total;
}

function round3(v: number | null): number | null {
  return v === null ? null : Math.round(v * 1000) / 1000;
}

function collectJobSkills(job: JobInput, segments: Segment[], taxonomy: Taxonomy): Map<string, JobSkill> {
  const skills = new Map<string, JobSkill>();
  const add = (skill: Skill | null, customName: string | undefined, requirement: 'required' | 'preferred', mentions: number) => {
    const key = skill?.name ?? `custom:${customName!.toLowerCase()}`;
    const existing = skills.get(key);
    if (!existing) skills.set(key, { skill, ...(customName ? { customName } : {}), requirement, mentions });
    else {
      existing.mentions += mentions;
      if (requirement === 'required') existing.requirement = 'required';
    }
  };
  for (const [list, requirement] of [[job.requiredSkills ?? [], 'required'], [job.preferredSkills ?? [], 'preferred']] as const) {
    for (const raw of list) {
      const name = raw.trim();
      if (name === '') continue;
      const skill = taxonomy.lookup(name);
      add(skill ?? null, skill ? undefined : name, requirement, 2);
    }
  }
  const titleSkills = extractSkills(job.title, taxonomy);
  for (const m of titleSkills.values()) add(m.skill, undefined, 'required', 2);
  for (const segment of segments) {
    if (segment.mode === 'ignore') continue;
    for (const m of extractSkills(segment.text, taxonomy).values()) add(m.skill, undefined, segment.mode as Exclude<Requirement, 'ignore'>, m.count);
  }
  return skills;
}

function customPresent(name: string, resumeTokens: Set<string>): boolean {
  const words = tokenize(name).map((t) => t.norm);
  return words.length > 0 && words.every((w) => resumeTokens.has(w));
}

/** Partial credit: a specialisation of the skill (Django for Python), its foundation, or a sibling. */
function relatedCredit(skill: Skill, resumeSkills: Map<string, SkillMention>, taxonomy: Taxonomy):
  { via: string; relation: PartialSkill['relation']; credit: number } | undefined {
  for (const m of resumeSkills.values()) {
    if (m.skill.implies.includes(skill.name)) return { via: m.skill.name, relation: 'specialisation', credit: 0.8 };
  }
  for (const implied of skill.implies) {
    if (resumeSkills.has(implied)) return { via: implied, relation: 'foundation', credit: 0.4 };
  }
  // Only where one tool substitutes for another (MySQL for PostgreSQL, GCP for AWS, Sketch for Figma).
  const siblingCategories = new Set(['databases', 'cloud', 'design-tools', 'analytics-bi']);
  if (siblingCategories.has(skill.category.slug)) {
    const sibling = [...resumeSkills.values()].find((m) => m.skill.category.slug === skill.category.slug && taxonomy.skills.has(m.skill.name));
    if (sibling) return { via: sibling.skill.name, relation: 'related', credit: 0.25 };
  }
  return undefined;
}

function requiredYearsOf(segments: Segment[]): number | null {
  let best: number | null = null;
  for (const segment of segments) {
    if (segment.mode !== 'required') continue;
    const y = statedYears(segment.text, { requireExperienceWord: true });
    if (y !== null) best = Math.max(best ?? 0, y);
  }
  return best === null ? null : Math.min(best, 15);
}

function areaRank(skill: Skill, jobSkills: Map<string, JobSkill>): number {
  let rank = skill.area.slug === 'general' ? 0 : 1;
  for (const js of jobSkills.values()) if (js.skill?.area.slug === skill.area.slug) { rank = 2; break; }
  return rank;
}

const STOP = new Set('a an and are as at be by for from has have in is it its of on or our that the their this to we will with you your they who what which not but all can more than about into over also such other any each been were was how'.split(' '));

function vocabularyOverlap(a: string, b: string): number {
  const words = (t: string) => new Set(tokenize(t).map((x) => x.norm).filter((w) => w.length > 2 && !STOP.has(w) && !/^\d+$/.test(w)));
  const wa = words(a);
  const wb = words(b);
  if (wb.size === 0) return 0;
  let shared = 0;
  for (const w of wb) if (wa.has(w)) shared++;
  return Math.min(1, (shared / wb.size) * 1.5);
}

function list(names: string[], max = 6): string {
  if (names.length <= max) return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

function strengthsAndGaps(common: SkillRef[], missing: SkillRef[], partial: PartialSkill[], exp: AnalysisResult['experience']) {
  const strengths: string[] = [];
  const gaps: string[] = [];
  const reqCommon = common.filter((s) => s.requirement === 'required').map((s) => s.name);
  const prefCommon = common.filter((s) => s.requirement === 'preferred').map((s) => s.name);
  if (reqCommon.length) strengths.push(`Has required skills: ${list(reqCommon, 8)}`);
  if (prefCommon.length) strengths.push(`Also brings nice-to-haves: ${list(prefCommon)}`);
  for (const p of partial) strengths.push(`${p.name} partly covered by ${p.via} (${p.relation})`);
  if (exp.requiredYears !== null && exp.resumeYears !== null && exp.resumeYears >= exp.requiredYears) {
    strengths.push(`${fmtYears(exp.resumeYears)} of experience meets the ${exp.requiredYears} asked for`);
  }
  const reqMissing = missing.filter((s) => s.requirement === 'required').map((s) => s.name);
  const prefMissing = missing.filter((s) => s.requirement === 'preferred').map((s) => s.name);
  if (reqMissing.length) gaps.push(`Missing required skills: ${list(reqMissing, 8)}`);
  if (prefMissing.length) gaps.push(`Missing nice-to-haves: ${list(prefMissing)}`);
  if (exp.requiredYears !== null && exp.resumeYears !== null && exp.resumeYears < exp.requiredYears) {
    gaps.push(`${fmtYears(exp.resumeYears)} of experience against ${exp.requiredYears} asked for`);
  }
  if (exp.requiredYears !== null && exp.resumeYears === null) gaps.push('The resume does not say how many years of experience the candidate has');
  if (exp.jobSeniority && exp.resumeSeniority && levelIndex(exp.resumeSeniority) < levelIndex(exp.jobSeniority)) {
    gaps.push(`Seniority: ${exp.resumeSeniority} profile for a ${exp.jobSeniority} role`);
  }
  return { strengths, gaps };
}

function fmtYears(y: number): string {
  const n = Number.isInteger(y) ? String(y) : y.toFixed(1);
  return `${n} year${y === 1 ? '' : 's'}`;
}

function explain(job: JobInput, pct: number, verdict: Verdict, common: SkillRef[], missing: SkillRef[], partial: PartialSkill[],
  exp: AnalysisResult['experience'], jobSkillCount: number): string {
  const sentences: string[] = [];
  const label = { strong: 'A strong match', good: 'A good match', partial: 'A partial match', weak: 'A weak match' }[verdict];
  sentences.push(`${label} for "${job.title}" (${pct}%).`);
  if (jobSkillCount === 0) {
    sentences.push('The job description names no skills the matcher recognises, so the score rests on shared vocabulary and experience.');
  } else {
    const req = (arr: SkillRef[]) => arr.filter((s) => s.requirement === 'required');
    const pref = (arr: SkillRef[]) => arr.filter((s) => s.requirement === 'preferred');
    const reqTotal = req(common).length + req(missing).length + req(partial).length;
    if (reqTotal > 0) {
      let s = `The resume covers ${req(common).length} of ${reqTotal} required skills`;
      if (req(common).length) s += ` (${list(req(common).map((x) => x.name))})`;
      if (req(missing).length) s += `; missing: ${list(req(missing).map((x) => x.name))}`;
      sentences.push(s + '.');
    }
    const prefTotal = pref(common).length + pref(missing).length + pref(partial).length;
    if (prefTotal > 0) {
      sentences.push(`Of ${prefTotal} nice-to-have skill${prefTotal === 1 ? '' : 's'} it has ${pref(common).length}` +
        (pref(common).length ? ` (${list(pref(common).map((x) => x.name))})` : '') + '.');
    }
    if (partial.length) sentences.push(`Related experience counts in part: ${partial.map((p) => `${p.via} for ${p.name}`).join(', ')}.`);
  }
  if (exp.requiredYears !== null) {
    sentences.push(exp.resumeYears === null
      ? `The role asks for ${exp.requiredYears}+ years; the resume does not make the candidate's years clear.`
      : `The role asks for ${exp.requiredYears}+ years; the resume shows about ${fmtYears(exp.resumeYears)}${exp.resumeYearsSource === 'date-ranges' ? ' (from its dates)' : ''}.`);
  } else if (exp.resumeYears !== null) {
    sentences.push(`The resume shows about ${fmtYears(exp.resumeYears)} of experience.`);
  }
  if (exp.jobSeniority && exp.resumeSeniority) {
    const gap = levelIndex(exp.resumeSeniority) - levelIndex(exp.jobSeniority);
    sentences.push(gap === 0 ? `Seniority fits: a ${exp.resumeSeniority} profile for a ${exp.jobSeniority} role.`
      : gap > 0 ? `The candidate looks more senior (${exp.resumeSeniority}) than the ${exp.jobSeniority} role.`
        : `The candidate looks less senior (${exp.resumeSeniority}) than the ${exp.jobSeniority} role.`);
  }
  return sentences.join(' ');
}

function questions(common: SkillRef[], missing: SkillRef[], partial: PartialSkill[], exp: AnalysisResult['experience']): string[] {
  const out: string[] = [];
  const technical = (x: SkillRef) => x.requirement === 'required' && x.category !== 'soft-skills' && x.category !== 'office-tools';
  for (const s of common.filter(technical).slice(0, 3)) {
    out.push(`Walk us through a recent project where you used ${s.name}: what did you own, and what would you do differently?`);
  }
  for (const p of partial.slice(0, 2)) out.push(`You have worked with ${p.via}; how would you get productive with ${p.name}, and what carries over?`);
  for (const s of missing.filter(technical).slice(0, 3)) {
    out.push(`This role needs ${s.name}, which your resume does not mention. What is your exposure to it, or to something close?`);
  }
  if (exp.jobSeniority && ['lead', 'principal', 'executive'].includes(exp.jobSeniority)) {
    out.push('Tell us about a technical or organisational decision you drove across teams, and how you brought people along.');
  }
  return out.slice(0, 8);
}
