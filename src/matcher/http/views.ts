import { answeredBy } from '../analysis/answered-by.js';
import type { AnalysisListRow, AnalysisRow, JobRow, ResumeRow } from '../repository.js';

/** Rows as the API shows them: camelCase, no internal columns (seq, tenant_id). */
export function resumeView(r: ResumeRow) {
  return {
    id: r.id, candidateName: r.candidate_name, headline: r.headline, skills: r.skills,
    ...(r.content !== undefined ? { content: r.content } : {}), createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

export function jobView(j: JobRow) {
  return {
    id: j.id, title: j.title, company: j.company, location: j.location, requiredSkills: j.required_skills, preferredSkills: j.preferred_skills,
    ...(j.description !== undefined ? { description: j.description } : {}), createdAt: j.created_at, updatedAt: j.updated_at,
  };
}

export function analysisView(a: AnalysisRow) {
  return {
    id: a.id, resumeId: a.resume_id, jobId: a.job_description_id, matchPercentage: a.match_percentage,
    analysedAt: a.created_at, analysedAtServiceLevel: a.service_level, matcherVersion: a.matcher_version,
    answeredBy: answeredBy(a.matcher_version), durationMs: a.duration_ms,
    result: a.analysis_data,
  };
}

export function analysisListView(a: AnalysisListRow) {
  return {
    id: a.id, matchPercentage: a.match_percentage, verdict: a.verdict, matcherVersion: a.matcher_version, answeredBy: answeredBy(a.matcher_version), analysedAt: a.created_at,
    resume: { id: a.resume_id, candidateName: a.candidate_name, headline: a.headline },
    job: { id: a.job_id, title: a.title, company: a.company },
  };
}
