import { tokenize, type Skill, type Taxonomy, type Token } from './taxonomy.js';

export interface SkillMention {
  skill: Skill;
  /** How often the text names it. */
  count: number;
  /** Character offset of the first mention. */
  first: number;
  /** The words as written at the first mention. */
  asWritten: string;
}

/** Between the words of a multi-word alias: spaces, hyphens, slashes, underscores, ampersands. */
const JOINER = /^[\s\-‐–/_&]*$/;
/** Text before a token that marks a list item: a separator, "and"/"or"/"in"/"with"..., a colon, a bullet. */
const LIST_BEFORE = /(?:[,;/(|•·*:+]|\b(?:and|or|in|with|using|like|including|e\.g\.|both|plus))\s*$|^\s*$/i;
const LIST_AFTER = /^\s*(?:[,;/)|•·]|\b(?:and|or|programming|language|scripts?|packages?|libraries|ecosystem)\b|\.?\s*$|\.?\s*\n)/i;

/**
 * Every taxonomy skill named in the text. Longest alias first ("machine learning engineer" is
 * Machine Learning, not a lone "machine"); exact aliases (Go, R, C, Swift...) only in their exact
 * case, with their list-context and reject-next rules ("Go to market" is not Go).
 */
export function extractSkills(text: string, taxonomy: Taxonomy, tokens: Token[] = tokenize(text)): Map<string, SkillMention> {
  const found = new Map<string, SkillMention>();
  const record = (name: string, at: number, asWritten: string) => {
    const skill = taxonomy.skills.get(name)!;
    const mention = found.get(name);
    if (mention) mention.count++;
    else found.set(name, { skill, count: 1, first: at, asWritten });
  };
  let i = 0;
  while (i < tokens.length) {
    let matched = 0;
    for (let n = Math.min(taxonomy.maxAliasTokens, tokens.length - i); n >= 1 && matched === 0; n--) {
      if (n > 1 && !joined(text, tokens, i, n)) continue;
      const key = n === 1 ? tokens[i]!.norm : tokens.slice(i, i + n).map((t) => t.norm).join(' ');
      const name = taxonomy.aliases.get(key);
      if (name !== undefined) {
        record(name, tokens[i]!.start, text.slice(tokens[i]!.start, tokens[i + n - 1]!.end));
        matched = n;
      }
    }
    if (matched === 0) {
      const t = tokens[i]!;
      const name = taxonomy.exact.get(t.raw);
      if (name !== undefined && exactAllowed(text, t, taxonomy.skills.get(name)!)) {
        record(name, t.start, t.raw);
      }
      matched = 1;
    }
    i += matched;
  }
  return found;
}

function joined(text: string, tokens: Token[], i: number, n: number): boolean {
  for (let k = i; k < i + n - 1; k++) {
    if (!JOINER.test(text.slice(tokens[k]!.end, tokens[k + 1]!.start))) return false;
  }
  return true;
}

function exactAllowed(text: string, token: Token, skill: Skill): boolean {
  const after = text.slice(token.end, token.end + 40);
  if (skill.rejectNext?.test(after)) return false;
  if (!skill.listContext) return true;
  const before = text.slice(Math.max(0, token.start - 30), token.start);
  const lineStart = before.lastIndexOf('\n');
  const sameLineBefore = lineStart >= 0 ? before.slice(lineStart + 1) : before;
  return LIST_BEFORE.test(sameLineBefore) || LIST_AFTER.test(after);
}
