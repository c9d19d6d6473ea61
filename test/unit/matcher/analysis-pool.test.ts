/**
 * The local matcher's worker threads (src/matcher/analysis/pool.ts): the same answers as the
 * matcher inline, every analysis within its deadline or ANALYSIS_TIMEOUT, and the adversarial
 * documents of issue 15 answered within the default deadline (before the fix they took 20 s).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { analyse } from '../../../src/matcher/analysis/analyse.js';
import { AnalysisPool } from '../../../src/matcher/analysis/pool.js';
import { loadMatcherConfig } from '../../../src/matcher/config.js';
import { isPlimsollError } from '../../../src/plimsoll/errors.js';
import { ADVERSARIAL_INPUTS } from '../../support/adversarial-text.js';

const asOf = new Date('2026-01-01T00:00:00Z');
const resume = { content: 'Backend developer (Mar 2018 - Present). 6 years of experience with Go, Kafka and PostgreSQL.', headline: 'Senior Engineer' };
const job = { title: 'Senior Go Engineer', description: 'Requirements:\n- Go, PostgreSQL\n- 5+ years of experience\nNice to have: Rust', requiredSkills: ['Docker'] };

describe('analysis pool', () => {
  const defaults = loadMatcherConfig({}).analysis;
  const pool = new AnalysisPool(defaults);
  after(() => pool.close());

  it('answers what the local matcher answers inline', async () => {
    assert.deepEqual(await pool.analyse(resume, job, asOf), analyse(resume, job, { asOf }));
  });

  it('runs more analyses than it has threads (they wait for a free one)', async () => {
    const results = await Promise.all(Array.from({ length: defaults.threads * 3 }, () => pool.analyse(resume, job, asOf)));
    assert.ok(results.every((r) => r.matchPercentage === results[0]!.matchPercentage));
  });

  it('answers the adversarial 100 KB documents within the default deadline', async () => {
    for (const a of ADVERSARIAL_INPUTS) {
      const result = a.field === 'resume'
        ? await pool.analyse({ content: a.text }, job, asOf)
        : await pool.analyse(resume, { title: 'Engineer', description: a.text }, asOf);
      assert.equal(result.matcherVersion, 'local-1.0.0', a.name);
    }
  });

  it('past its deadline an analysis fails with ANALYSIS_TIMEOUT, and close() still ends the threads', async () => {
    // A fresh thread loads the matcher and its taxonomy first: far more than 10 ms.
    const hurried = new AnalysisPool({ threads: 1, deadlineMs: 10 });
    try {
      await assert.rejects(hurried.analyse(resume, job, asOf), (error) => isPlimsollError(error) && error.code === 'ANALYSIS_TIMEOUT');
    } finally {
      await hurried.close();
    }
  });
});
