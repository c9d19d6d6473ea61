import taxonomyData from './data/skills.json' with { type: 'json' };
import { matchesOf } from './matches.js';

/** The skill taxonomy shipped in data/skills.json, compiled once into lookup tables. */
export interface CategoryData { slug: string; name: string; parent?: string; weight: number }
export interface SkillData {
  name: string;
  category: string;
  aliases?: string[];
  exact?: string[];
  listContext?: boolean;
  rejectNext?: string;
  implies?: string[];
}
export interface TaxonomyData { version: number; categories: CategoryData[]; skills: SkillData[] }

export interface Skill {
  name: string;
  category: CategoryData;
  /** The top-level category (engineering, data, design, management, business, general). */
  area: CategoryData;
  listContext: boolean;
  rejectNext: RegExp | undefined;
  implies: string[];
}

export interface Token {
  /** Lower-cased text. */
  norm: string;
  raw: string;
  start: number;
  end: number;
}

/**
 * Words, with what makes a skill name: internal dots (Node.js, ASP.NET), a leading dot (.NET),
 * a trailing ++ or # (C++, C#, F#), internal apostrophes. Hyphens and slashes separate tokens, so
 * "front-end" and "front end", "CI/CD" and "CI CD" tokenise alike.
 */
const TOKEN = /\.?[\p{L}\p{N}]+(?:[.'’][\p{L}\p{N}]+)*(?:\+\+|#)?/gu;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const m of matchesOf(TOKEN, text)) {
    let raw = m[0];
    let start = m.index;
    // A leading dot only belongs to the token when nothing word-like precedes it (".NET", not "e.g.NET").
    if (raw.startsWith('.') && start > 0 && /[\p{L}\p{N}]/u.test(text[start - 1]!)) {
      raw = raw.slice(1);
      start += 1;
    }
    tokens.push({ norm: raw.toLowerCase(), raw, start, end: start + raw.length });
  }
  return tokens;
}

export class Taxonomy {
  readonly skills = new Map<string, Skill>();
  readonly categories = new Map<string, CategoryData>();
  /** Case-insensitive aliases: joined token norms → skill names. */
  readonly aliases = new Map<string, string>();
  /** Case-sensitive single-token aliases: raw token → skill name. */
  readonly exact = new Map<string, string>();
  readonly maxAliasTokens: number;

  constructor(readonly data: TaxonomyData) {
    for (const c of data.categories) this.categories.set(c.slug, c);
    let maxTokens = 1;
    for (const s of data.skills) {
      const category = this.categories.get(s.category);
      if (!category) throw new Error(`skill ${s.name}: unknown category ${s.category}`);
      const area = category.parent ? this.categories.get(category.parent) ?? category : category;
      if (this.skills.has(s.name)) throw new Error(`skill ${s.name} is listed twice`);
      this.skills.set(s.name, {
        name: s.name, category, area, listContext: s.listContext ?? false,
        rejectNext: s.rejectNext ? new RegExp(s.rejectNext) : undefined, implies: s.implies ?? [],
      });
      const exactLower = new Set((s.exact ?? []).map((e) => e.toLowerCase()));
      for (const e of s.exact ?? []) {
        if (tokenize(e).length !== 1) throw new Error(`skill ${s.name}: exact alias "${e}" must be one token`);
        this.exact.set(e, s.name);
      }
      // The name is an alias too, unless an exact alias already covers it (R, Go, Swift...).
      for (const alias of [s.name, ...(s.aliases ?? [])]) {
        if (exactLower.has(alias.toLowerCase())) continue;
        const key = tokenize(alias).map((t) => t.norm).join(' ');
        if (key === '') continue;
        const owner = this.aliases.get(key);
        if (owner && owner !== s.name) throw new Error(`alias "${alias}" belongs to both ${owner} and ${s.name}`);
        this.aliases.set(key, s.name);
        maxTokens = Math.max(maxTokens, key.split(' ').length);
      }
    }
    for (const s of this.skills.values()) {
      for (const i of s.implies) if (!this.skills.has(i)) throw new Error(`skill ${s.name} implies unknown ${i}`);
    }
    this.maxAliasTokens = maxTokens;
  }

  /** Finds a skill by its name or any alias, case-insensitively (for explicit skill lists). */
  lookup(text: string): Skill | undefined {
    const key = tokenize(text).map((t) => t.norm).join(' ');
    const name = this.aliases.get(key) ?? this.exact.get(text.trim()) ??
      [...this.exact.entries()].find(([e]) => e.toLowerCase() === key)?.[1];
    return name === undefined ? undefined : this.skills.get(name);
  }
}

let shared: Taxonomy | undefined;

/** The shipped taxonomy (compiled on first use). */
export function defaultTaxonomy(): Taxonomy {
  shared ??= new Taxonomy(taxonomyData as TaxonomyData);
  return shared;
}
