/**
 * Deterministic sample data: the same seed gives the same tenants, resumes and jobs, so demos
 * and load tests are repeatable. Resumes and jobs are built from role profiles with varied
 * seniority, years, skills (some in the job, some not), date ranges and wording.
 */
import { mulberry32 } from '../../shared/random.js';

interface Role {
  title: string;
  core: string[];
  extra: string[];
  duties: string[];
  companyKind: string;
}

const ROLES: Role[] = [
  { title: 'Backend Engineer', core: ['Go', 'PostgreSQL', 'Kubernetes', 'Docker', 'REST APIs', 'Redis', 'Python', 'Node.js', 'TypeScript', 'AWS'],
    extra: ['Kafka', 'gRPC', 'Terraform', 'Prometheus', 'GraphQL', 'RabbitMQ', 'microservices', 'CI/CD', 'Java', 'Spring Boot'],
    duties: ['built {a} services backed by {b}', 'cut p99 latency of the {a} API by 40% by tuning {b}', 'moved the team to {a} and {b}', 'designed the event pipeline on {a}'], companyKind: 'payments' },
  { title: 'Frontend Engineer', core: ['TypeScript', 'React', 'JavaScript', 'HTML', 'CSS', 'Next.js', 'Jest', 'Web Accessibility', 'GraphQL', 'Figma'],
    extra: ['Vue.js', 'Tailwind CSS', 'Storybook', 'Cypress', 'Redux', 'Webpack', 'Vite', 'design systems', 'Node.js', 'Playwright'],
    duties: ['rebuilt the checkout in {a} with {b}', 'introduced {a} and raised test coverage with {b}', 'led the migration from {b} to {a}', 'shipped a {a} component library used by 6 teams'], companyKind: 'e-commerce' },
  { title: 'Data Scientist', core: ['Python', 'SQL', 'Pandas', 'scikit-learn', 'Statistics', 'Machine Learning', 'A/B testing', 'Jupyter', 'Data Visualization', 'R'],
    extra: ['PyTorch', 'TensorFlow', 'Apache Spark', 'Airflow', 'dbt', 'Tableau', 'NLP', 'XGBoost', 'BigQuery', 'time series forecasting'],
    duties: ['built a churn model in {a} using {b}', 'ran A/B tests and reported results with {a} and {b}', 'automated reporting with {a} on {b}', 'deployed a {a} model behind a {b} service'], companyKind: 'subscription' },
  { title: 'DevOps Engineer', core: ['Kubernetes', 'Terraform', 'AWS', 'Docker', 'Linux', 'CI/CD', 'Prometheus', 'Grafana', 'Bash', 'Helm'],
    extra: ['Ansible', 'Argo CD', 'Google Cloud', 'Go', 'Python', 'Istio', 'GitHub Actions', 'Datadog', 'Nginx', 'site reliability engineering'],
    duties: ['ran {a} clusters provisioned with {b}', 'built the {a} pipelines and {b} dashboards', 'cut cloud spend by 30% with {a} and {b}', 'owned on-call and incident response with {a}'], companyKind: 'logistics' },
  { title: 'Product Designer', core: ['Figma', 'UX design', 'user research', 'prototyping', 'wireframing', 'design systems', 'UI design', 'usability testing', 'interaction design', 'accessibility'],
    extra: ['Adobe Illustrator', 'Adobe Photoshop', 'Sketch', 'journey mapping', 'HTML', 'CSS', 'motion design', 'Miro', 'typography', 'branding'],
    duties: ['redesigned onboarding with {a} and {b}', 'ran {a} sessions and turned them into {b}', 'built the {a} in Figma with {b}', 'led {a} for the mobile app'], companyKind: 'health' },
  { title: 'Product Manager', core: ['product management', 'product strategy', 'roadmapping', 'stakeholder management', 'Agile', 'Scrum', 'Jira', 'user stories', 'A/B testing', 'SQL'],
    extra: ['OKRs', 'go-to-market', 'market research', 'prioritization', 'Amplitude', 'Mixpanel', 'Confluence', 'pricing strategy', 'product discovery', 'Figma'],
    duties: ['owned the {a} for the growth squad and ran {b}', 'launched two products using {a} and {b}', 'introduced {a} across three teams', 'grew activation 18% through {a} and {b}'], companyKind: 'SaaS' },
  { title: 'Marketing Manager', core: ['digital marketing', 'SEO', 'content marketing', 'Google Analytics', 'email marketing', 'social media marketing', 'SEM', 'brand marketing', 'marketing analytics', 'copywriting'],
    extra: ['HubSpot', 'Salesforce', 'conversion rate optimization', 'product marketing', 'event marketing', 'public relations', 'A/B testing', 'Canva', 'Excel', 'Looker'],
    duties: ['grew organic traffic 3x through {a} and {b}', 'ran {a} campaigns measured with {b}', 'rebuilt the {a} funnel with {b}', 'managed a {a} budget of $2M across {b}'], companyKind: 'consumer' },
  { title: 'Financial Analyst', core: ['financial analysis', 'financial modeling', 'Excel', 'FP&A', 'financial reporting', 'accounting', 'SQL', 'budgeting', 'Power BI', 'forecasting'],
    extra: ['SAP', 'NetSuite', 'Tableau', 'Python', 'auditing', 'treasury', 'tax', 'QuickBooks', 'valuation', 'stakeholder management'],
    duties: ['built the {a} for the annual plan in {b}', 'automated month-end close reporting with {a} and {b}', 'led {a} for two acquisitions', 'cut reporting time in half using {a}'], companyKind: 'retail' },
];

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
