/**
 * The local matcher on legal 100 KB documents built to make backtracking expressions blow up
 * (test/support/adversarial-text.ts): the answers are right. How long they take is
 * `make bench-analysis`'s job; that they no longer stall the server is the integration test's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyse } from '../../../src/matcher/analysis/analyse.js';
import { rangeYears, statedYears } from '../../../src/matcher/analysis/experience.js';
import { headingText, preferredCue, segmentJob } from '../../../src/matcher/analysis/sections.js';
import { ADVERSARIAL_INPUTS, ADVERSARIAL_LENGTH } from '../../support/adversarial-text.js';

const input = (name: string) => {
  const found = ADVERSARIAL_INPUTS.find((a) => a.name === name);
  assert.ok(found, name);
  assert.ok(found.text.length <= ADVERSARIAL_LENGTH && found.text.length > ADVERSARIAL_LENGTH - 20, `${name} is a legal 100 KB document`);
  return found.text;
};
const spaces = ' '.repeat(ADVERSARIAL_LENGTH - 40);
const asOf = new Date('2026-01-01T00:00:00Z');

describe('years of experience on adversarial text', () => {
  it('"5" and spaces: no stated years', () => {
    assert.equal(statedYears(input('resume: "5" and spaces')), null);
  });
  it('"5 to 5" and spaces: no stated years', () => {
    assert.equal(statedYears(input('resume: "5 to 5" and spaces')), null);
  });
  it('a long run of spaces inside a real statement still counts', () => {
    assert.equal(statedYears(`7${spaces}+ years of experience`, { requireExperienceWord: true }), 7);
    assert.equal(statedYears(`3 to${spaces}5 years in Go`), 3);
  });
  it('"jan" repeated in one word, then a range: the range', () => {
    assert.equal(rangeYears(`${input('resume: "jan" repeated in one word')} - 2020`, asOf), 2);
  });
  it('a month name inside a word is not a month ("Primary 2015" is not March 2015)', () => {
    assert.equal(rangeYears('Primary 2015 - Dec 2015', asOf), 1);
    assert.equal(rangeYears('Mar 2015 - Dec 2015', asOf), 0.8);
  });
});

describe('job sections on adversarial text', () => {
  it('"a", spaces and "b": one required segment, kept whole', () => {
    const text = input('job: "a", spaces and "b"');
    assert.deepEqual(segmentJob(text), [{ text, start: 0, mode: 'required' }]);
    assert.equal(headingText(`  ##  Requirements${spaces}:`), 'requirements');
  });
  it('"familiarity with " repeated: a cue only once " helps" follows', () => {
    const text = input('job: "familiarity with " repeated');
    assert.equal(preferredCue(text), false);
    assert.equal(preferredCue(`${text}Kafka helps`), true);
    assert.equal(preferredCue(`${text}Kafka\rhelps`), false);
  });
  it('100 000 blank lines: no segment, no skills', () => {
    const text = input('job: 100 000 blank lines');
    assert.deepEqual(segmentJob(text), []);
    assert.deepEqual(segmentJob(`Requirements:\n\n  \n- **\n- Go`).map((s) => s.text), ['- Go']);
    const result = analyse({ content: 'Go developer, 5 years of experience' }, { title: 'Engineer', description: text }, { asOf });
    assert.deepEqual(result.missingSkills, []);
    assert.equal(result.experience.requiredYears, null);
  });
});

describe('whole analyses of adversarial documents', () => {
  const job = { title: 'Engineer (Go)', description: 'Requirements:\n- Go and PostgreSQL\n- 3+ years of experience' };
  const resume = { content: 'Backend developer. 6 years of experience with Go and PostgreSQL.' };
  for (const a of ADVERSARIAL_INPUTS) {
    it(a.name, () => {
      const result = a.field === 'resume'
        ? analyse({ content: a.text }, job, { asOf })
        : analyse(resume, { title: 'Engineer (Go)', description: a.text }, { asOf });
      if (a.field === 'resume') {
        // Nothing in the resume: the job's Go and PostgreSQL are missing; no years to read.
        assert.deepEqual(result.missingSkills.map((s) => s.name).sort(), ['Go', 'PostgreSQL']);
        assert.equal(result.experience.resumeYears, null);
      } else {
        // The title names Go, which the resume has; the description asks for nothing else.
        assert.deepEqual(result.commonSkills.map((s) => s.name), ['Go']);
        assert.equal(result.experience.resumeYears, 6);
      }
    });
  }
});
