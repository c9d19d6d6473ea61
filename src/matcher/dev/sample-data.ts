/**
 * Deterministic sample data: the same seed gives the same tenants, resumes and jobs, so demos
 * and load tests are repeatable. Resumes and jobs are built from role profiles with varied
 * seniority, years, skills (some in the job, some not), date ranges and wording.
 */
import { mulberry32 } from '../../plimsoll/shared/random.js';
import rolesData from './data/roles.json' with { type: 'json' };

interface Role {
  title: string;
  core: string[];
  extra: string[];
  duties: string[];
  companyKind: string;
}

/** Role profiles (data/roles.json): a title, its core and extra skills, duty templates ({a}, {b}: skills). */
const ROLES: Role[] = rolesData;

const LEVELS = [
  { word: 'Junior', years: [1, 2] }, { word: '', years: [3, 5] }, { word: 'Senior', years: [6, 9] }, { word: 'Lead', years: [9, 14] },
];
const FIRST = ['Maria', 'James', 'Aisha', 'Wei', 'Lucas', 'Sofia', 'Omar', 'Priya', 'Jonas', 'Elena', 'Kenji', 'Fatima', 'Noah', 'Ines', 'Mateo', 'Hannah', 'Arjun', 'Chloe', 'Tomasz', 'Zanele'];
const LAST = ['Chen', 'Okafor', 'Schmidt', 'Garcia', 'Nguyen', 'Kowalski', 'Haddad', 'Patel', 'Silva', 'Johansson', 'Tanaka', 'Müller', 'Rossi', 'Dubois', 'Kim', 'Ibrahim', "O'Brien", 'Novak', 'Santos', 'Mensah'];
const COMPANIES = ['Parcelly', 'Northwind', 'Bluefin Labs', 'Quantive', 'Harbor & Co', 'Lumen Health', 'Orbit Retail', 'Kestrel Pay', 'Tidewater', 'Foxglove', 'Granite Cloud', 'Juniper Systems'];
const CITIES = ['Berlin', 'Lisbon', 'Toronto', 'Austin', 'Remote (EU)', 'London', 'Singapore', 'Amsterdam', 'Remote (US)', 'Nairobi'];

export interface SeedResume { candidateName: string; headline: string; content: string }
export interface SeedJob { title: string; company: string; location: string; description: string }

export class SampleData {
  private readonly r: () => number;
  constructor(seed: number) { this.r = mulberry32(seed); }

  private pick<T>(arr: readonly T[]): T { return arr[Math.floor(this.r() * arr.length)]!; }
  private int(lo: number, hi: number): number { return lo + Math.floor(this.r() * (hi - lo + 1)); }
  private sample<T>(arr: readonly T[], n: number): T[] {
    const copy = [...arr];
    for (let i = copy.length - 1; i > 0; i--) { const j = Math.floor(this.r() * (i + 1)); [copy[i], copy[j]] = [copy[j]!, copy[i]!]; }
    return copy.slice(0, Math.min(n, copy.length));
  }

  resume(asOfYear = 2026): SeedResume {
    const role = this.pick(ROLES);
    const level = this.pick(LEVELS);
    const years = this.int(level.years[0]!, level.years[1]!);
    const name = `${this.pick(FIRST)} ${this.pick(LAST)}`;
    const skills = [...this.sample(role.core, this.int(5, 9)), ...this.sample(role.extra, this.int(1, 5))];
    const headline = `${level.word ? level.word + ' ' : ''}${role.title}`;
    const lines = [`${name}`, `${headline} · ${this.pick(CITIES)}`, '', 'Summary',
      `${role.title} with ${years} years of experience in ${role.companyKind} companies. Strongest in ${skills.slice(0, 3).join(', ')}.`, '', 'Experience'];
    let end = asOfYear;
    let remaining = years;
    let first = true;
    while (remaining > 0) {
      const span = Math.min(remaining, this.int(1, 4));
      const start = end - span;
      const title = first ? headline : role.title;
      lines.push(`${title}, ${this.pick(COMPANIES)} (${this.pick(['Jan', 'Mar', 'Jun', 'Sep'])} ${start} – ${first ? 'Present' : this.pick(['Feb', 'May', 'Aug', 'Dec']) + ' ' + end})`);
      for (let b = 0; b < this.int(2, 3); b++) {
        const [a, c] = this.sample(skills, 2);
        lines.push(`- ${this.pick(role.duties).replace('{a}', a!).replace('{b}', c!)}.`);
      }
      remaining -= span;
      end = start;
      first = false;
    }
    lines.push('', 'Education', `${this.pick(['BSc Computer Science', 'BA Economics', 'MSc Statistics', 'BDes Interaction Design', 'BBA Marketing'])}, ${this.pick(['TU Munich', 'University of Lisbon', 'McGill', 'UT Austin', 'NUS'])}`);
    lines.push('', `Skills: ${this.sample(skills, skills.length).join(', ')}`);
    return { candidateName: name, headline, content: lines.join('\n') };
  }

  job(): SeedJob {
    const role = this.pick(ROLES);
    const level = this.pick(LEVELS);
    const company = this.pick(COMPANIES);
    const required = this.sample(role.core, this.int(4, 7));
    const nice = this.sample(role.extra, this.int(2, 4));
    const title = `${level.word ? level.word + ' ' : ''}${role.title}`;
    const description = [
      'About us', `${company} builds software for ${role.companyKind} businesses. We are ${this.int(40, 900)} people across ${this.int(2, 9)} countries.`, '',
      "What you'll do", ...this.sample(role.duties, 2).map((d) => `- ${d.replace('built', 'Build').replace('{a}', required[0]!).replace('{b}', required[1]!)}`), '',
      'Requirements:', `- ${level.years[0]}+ years of experience as a ${role.title.toLowerCase()}`, ...required.slice(0, -1).map((s) => `- Solid experience with ${s}`),
      `- ${required.at(-1)} in production`, '- Clear written and verbal communication', '',
      'Nice to have', ...nice.map((s) => `- ${s}`), '',
      'Benefits', '- Flexible hours, learning budget, 30 days of holiday',
    ].join('\n');
    return { title, company, location: this.pick(CITIES), description };
  }
}
