/**
 * Every match of a global regular expression, as `String.prototype.matchAll` gives them, without
 * the copy of the expression matchAll (and split) make on each call: the analysis calls these once
 * per line and per section, and on 100 KB of short lines the copies cost more than the matching.
 */
export function matchesOf(pattern: RegExp, text: string): RegExpExecArray[] {
  if (!pattern.global) throw new TypeError(`matchesOf needs a global expression: ${pattern}`);
  const found: RegExpExecArray[] = [];
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    found.push(m);
    if (m[0] === '') pattern.lastIndex++; // as matchAll does, so an empty match cannot loop
  }
  return found;
}
