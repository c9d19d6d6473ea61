import { z } from 'zod';
import type { AnalysisResult, Verdict } from '../analysis/analyse.js';
import { ProviderError, type AnalysisProvider, type ProviderAnswer, type ProviderRequest } from './provider.js';

export interface OpenAiCompatibleOptions {
  name: string;
  /** e.g. https://api.openai.com/v1 (the adapter appends /chat/completions). */
  baseUrl: string;
  apiKey: string;
  model: string;
  timeoutMs: number;
}

/** The structured analysis the model is asked for (JSON mode), validated before use. */
export const providerAnalysisSchema = z.object({
  matchPercentage: z.number().min(0).max(100),
  verdict: z.enum(['strong', 'good', 'partial', 'weak']).optional(),
  strengths: z.array(z.string().min(1).max(500)).max(20),
  gaps: z.array(z.string().min(1).max(500)).max(20),
  explanation: z.string().min(1).max(4000),
  interviewQuestions: z.array(z.string().min(1).max(500)).max(20).default([]),
});

const completionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
});

export const SYSTEM_PROMPT = [
  'You are a recruiting assistant. Compare the resume with the job description.',
  'Answer with one JSON object only: {"matchPercentage": 0-100, "verdict": "strong|good|partial|weak",',
  '"strengths": [string], "gaps": [string], "explanation": string, "interviewQuestions": [string]}.',
  'The "localAnalysis" field is a deterministic skill match you may refine.',
].join(' ');

/** The user message: the documents and the local analysis, as JSON (the fake provider reads it back). */
export function buildUserMessage(req: ProviderRequest): string {
  return JSON.stringify({
    promptVersion: req.promptVersion,
    resume: { headline: req.resume.headline ?? null, content: req.resume.content },
    job: { title: req.job.title, description: req.job.description, requiredSkills: req.job.requiredSkills ?? [], preferredSkills: req.job.preferredSkills ?? [] },
    localAnalysis: {
      matchPercentage: req.local.matchPercentage,
      commonSkills: req.local.commonSkills.map((s) => s.name),
      missingSkills: req.local.missingSkills.map((s) => s.name),
    },
  });
}

const verdictOf = (p: number): Verdict => (p >= 80 ? 'strong' : p >= 60 ? 'good' : p >= 40 ? 'partial' : 'weak');

/**
 * An OpenAI-compatible chat-completions provider (OpenAI, Groq, vLLM, Ollama, our fake). Asks for
 * JSON mode, validates the reply with zod and merges it over the local matcher's result (the
 * skill lists stay the taxonomy's). An unusable reply is not an error of the call: the answer is
 * the local result with usable=false. HTTP 429 → rate_limited with Retry-After; 5xx → server;
 * timeouts and connection failures → timeout / network.
 */
export class OpenAiCompatibleProvider implements AnalysisProvider {
  constructor(private readonly options: OpenAiCompatibleOptions) {}

  get name(): string {
    return this.options.name;
  }

  async analyse(req: ProviderRequest): Promise<ProviderAnswer> {
    const { name, baseUrl, apiKey, model, timeoutMs } = this.options;
    let res: Response;
    try {
      res = await fetch(`${baseUrl.replace(/\/$/, '')}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
        body: JSON.stringify({
          model, temperature: 0, response_format: { type: 'json_object' },
          messages: [{ role: 'system', content: SYSTEM_PROMPT }, { role: 'user', content: buildUserMessage(req) }],
        }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const e = error as Error;
      if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new ProviderError(name, 'timeout', `${name}: no answer within ${timeoutMs} ms`, undefined, { cause: error });
      throw new ProviderError(name, 'network', `${name}: ${e.message}`, undefined, { cause: error });
    }
    if (res.status === 429) {
      await res.body?.cancel();
      throw new ProviderError(name, 'rate_limited', `${name}: rate limited (429)`, retryAfterMs(res.headers.get('retry-after')));
    }
    if (res.status >= 500) {
      await res.body?.cancel();
      throw new ProviderError(name, 'server', `${name}: HTTP ${res.status}`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new ProviderError(name, 'client', `${name}: HTTP ${res.status}`);
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') throw new ProviderError(name, 'timeout', `${name}: reply cut off after ${timeoutMs} ms`);
      return { result: req.local, usable: false };
    }
    return mergeReply(req.local, body);
  }
}

/** Pure: the provider's reply over the local result, or the local result when unusable. */
export function mergeReply(local: AnalysisResult, body: unknown): ProviderAnswer {
  const completion = completionSchema.safeParse(body);
  const content = completion.success ? completion.data.choices[0]!.message.content : null;
  if (!content) return { result: local, usable: false };
  let parsedJson: unknown;
  try {
    parsedJson = JSON.parse(content.trim().replace(/^```(?:json)?\s*|\s*```$/g, '')) as unknown;
  } catch {
    return { result: local, usable: false };
  }
  const reply = providerAnalysisSchema.safeParse(parsedJson);
  if (!reply.success) return { result: local, usable: false };
  const r = reply.data;
  const pct = Math.round(r.matchPercentage);
  return {
    usable: true,
    result: {
      ...local,
      matchPercentage: pct,
      verdict: r.verdict ?? verdictOf(pct),
      strengths: r.strengths,
      gaps: r.gaps,
      explanation: r.explanation,
      interviewQuestions: r.interviewQuestions.length > 0 ? r.interviewQuestions : local.interviewQuestions,
    },
  };
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
