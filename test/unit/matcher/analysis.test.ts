import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyse } from '../../../src/matcher/analysis/analyse.js';
import { extractSkills } from '../../../src/matcher/analysis/extract.js';
import { rangeYears, seniorityOf, statedYears } from '../../../src/matcher/analysis/experience.js';
import { segmentJob } from '../../../src/matcher/analysis/sections.js';
import { defaultTaxonomy } from '../../../src/matcher/analysis/taxonomy.js';

const skills = (text: string) => [...extractSkills(text, defaultTaxonomy()).keys()].sort();

describe('skill extraction', () => {
  const cases: [string, string[], string[]][] = [
    ['C++, C# and .NET developer', ['.NET', 'C#', 'C++'], ['C']],
    ['Built services in Go and Python', ['Go', 'Python'], []],
    ['Go to market with a go-getter attitude; we go live soon', [], ['Go']],
    ['Statistics in R, SQL and Python', ['Python', 'R', 'SQL', 'Statistics'], []],
    ['John R. Smith worked in R&D', [], ['R']],
    ['Machine-learning and machine learning engineer, deep learning', ['Deep Learning', 'Machine Learning'], []],
    ['Node.js, React.js, Vue.js and Next.js', ['Next.js', 'Node.js', 'React', 'Vue.js'], []],
    ['CI/CD with GitHub Actions; k8s; Postgres', ['CI/CD', 'GitHub Actions', 'Kubernetes', 'PostgreSQL'], []],
    ['C/C++ embedded firmware', ['C', 'C++', 'Embedded Systems'], []],
    ['Worked at C-level; swift delivery of features', [], ['C', 'Swift']],
    ['Swift and SwiftUI for iOS', ['Swift', 'iOS Development'], []],
    ['Excel at teamwork; advanced Excel and pivot tables', ['Collaboration', 'Microsoft Excel'], []],
    ['TYPESCRIPT, javascript, A/B testing', ['A/B Testing', 'JavaScript', 'TypeScript'], []],
  ];
  for (const [text, present, absent] of cases) {
    it(text, () => {
      const found = skills(text);
      for (const p of present) assert.ok(found.includes(p), `${p} in ${JSON.stringify(found)}`);
      for (const a of absent) assert.ok(!found.includes(a), `${a} not in ${JSON.stringify(found)}`);
    });
  }
  it('ships hundreds of skills across categories', () => {
    const t = defaultTaxonomy();
    assert.ok(t.skills.size >= 300);
    const areas = new Set([...t.skills.values()].map((s) => s.area.slug));
    for (const a of ['engineering', 'data', 'design', 'management', 'business']) assert.ok(areas.has(a), a);
  });
});

describe('experience signals', () => {
  it('stated years, date ranges, seniority', () => {
    assert.equal(statedYears('Engineer with 7+ years of experience in Go', { requireExperienceWord: true }), 7);
    assert.equal(statedYears('over ten years building payment systems', { requireExperienceWord: true }), 10);
    assert.equal(rangeYears('Acme (Jan 2018 – Dec 2019)\nBeta (2020 - Present)', new Date('2024-01-15')), 6);
    assert.equal(seniorityOf('Senior Backend Engineer'), 'senior');
    assert.equal(seniorityOf('Junior Product Manager'), 'junior');
    assert.equal(seniorityOf('Head of Data'), 'executive');
  });
  it('sections: requirements, nice-to-haves, ignored benefits', () => {
    const segs = segmentJob('About us\nWe love Java.\n\nRequirements:\n- Go\n- Kafka is a plus\n\nNice to have\n- Rust\n\nBenefits\n- Python workshops');
    const mode = (word: string) => segs.find((s) => s.text.includes(word))?.mode;
    assert.equal(mode('Go'), 'required');
    assert.equal(mode('Kafka'), 'preferred');
    assert.equal(mode('Rust'), 'preferred');
    assert.equal(mode('Python'), 'ignore');
    assert.equal(mode('Java'), 'ignore');
  });
});

interface Pair { name: string; resume: string; headline?: string; job: { title: string; description: string }; common: string[]; missing: string[]; min: number; max: number }

const PAIRS: Pair[] = [
  {
    name: 'backend Go engineer vs Go payments role',
    headline: 'Senior Backend Engineer',
    resume: 'Backend engineer with 7 years of experience. Go, gRPC, PostgreSQL, Redis, Kubernetes, Docker, AWS. Built payment APIs.',
    job: { title: 'Senior Go Engineer', description: 'Requirements:\n- 5+ years of experience\n- Go, PostgreSQL, Kafka, Terraform\n\nNice to have\n- Redis, gRPC' },
    common: ['Go', 'PostgreSQL', 'Redis', 'gRPC'], missing: ['Apache Kafka', 'Terraform'], min: 60, max: 90,
  },
  {
    name: 'data scientist vs ML engineer',
    resume: 'Data scientist, 4 years. Python, pandas, scikit-learn, SQL, A/B testing, Tableau. Built churn models.',
    job: { title: 'Machine Learning Engineer', description: 'You have:\n- 3+ years of experience\n- Python, PyTorch, machine learning, MLOps, Docker\n\nBonus: Spark' },
    common: ['Python'], missing: ['PyTorch', 'MLOps', 'Docker'], min: 10, max: 50,
  },
  {
    name: 'designer vs frontend job',
    resume: 'Product designer. Figma, user research, prototyping, design systems, usability testing. 6 years.',
    job: { title: 'Frontend Engineer', description: 'Requirements:\n- React, TypeScript, CSS, Jest\n\nNice to have\n- Figma, design systems' },
    common: ['Figma', 'Design Systems'], missing: ['React', 'TypeScript', 'CSS', 'Jest'], min: 0, max: 35,
  },
  {
    name: 'marketing manager vs growth marketing role',
    resume: 'Marketing manager with 8 years of experience in SEO, content marketing, Google Analytics, email marketing (HubSpot) and paid search.',
    job: { title: 'Growth Marketing Lead', description: 'Requirements:\n- 6+ years of experience\n- SEO, SEM, Google Analytics, email marketing\n- Conversion rate optimization\n\nNice to have: Salesforce' },
    common: ['SEO', 'SEM', 'Google Analytics', 'Email Marketing'], missing: ['Conversion Rate Optimization'], min: 65, max: 95,
  },
  {
    name: 'Django developer vs Python role: partial credit',
    resume: 'Web developer: Django, Flask, PostgreSQL, 5 years of experience.',
    job: { title: 'Python Developer', description: 'Requirements:\n- Python\n- PostgreSQL\n- REST APIs' },
    common: ['PostgreSQL'], missing: ['REST APIs'], min: 40, max: 90,
  },
];

describe('the local matcher on resume/job pairs', () => {
  for (const p of PAIRS) {
    it(p.name, () => {
      const r = analyse({ content: p.resume, headline: p.headline ?? null }, p.job, { asOf: new Date('2026-11-25') });
      const common = r.commonSkills.map((s) => s.name);
      const missing = [...r.missingSkills, ...r.partialSkills].map((s) => s.name);
      for (const c of p.common) assert.ok(common.includes(c), `${c} common: ${JSON.stringify(common)}`);
      for (const m of p.missing) assert.ok(missing.includes(m), `${m} missing: ${JSON.stringify(missing)}`);
      assert.ok(r.matchPercentage >= p.min && r.matchPercentage <= p.max, `${r.matchPercentage} in ${p.min}..${p.max}: ${r.explanation}`);
      assert.ok(r.explanation.length > 40);
    });
  }
  it('is deterministic and pure', () => {
    const p = PAIRS[0]!;
    const a = analyse({ content: p.resume }, p.job, { asOf: new Date('2026-01-01') });
    const b = analyse({ content: p.resume }, p.job, { asOf: new Date('2026-01-01') });
    assert.deepEqual(a, b);
  });
  it('gives partial credit for a specialisation (Django → Python)', () => {
    const r = analyse({ content: PAIRS[4]!.resume }, PAIRS[4]!.job);
    assert.ok(r.partialSkills.some((s) => s.name === 'Python' && s.via === 'Django'), JSON.stringify(r.partialSkills));
  });
  it('handles a job with no recognisable skills', () => {
    const r = analyse({ content: 'Barista with latte art experience.' }, { title: 'Barista', description: 'Make great coffee and latte art for guests.' });
    assert.ok(r.matchPercentage >= 0 && r.matchPercentage <= 100);
    assert.match(r.explanation, /no skills the matcher recognises/);
  });
});
