/**
 * Diffs between two texts, as edits of the old one.
 *
 * `diffHunks` turns a file changed on disk into edits the CRDT can merge. It yields one
 * hunk per changed place: a single replace spanning every change (what `diffText` gives)
 * deletes and re-inserts the untouched text between two changes, so a teammate's
 * concurrent edit in there is lost or comes back twice when the two merge.
 *
 * How: the changed lines first, aligned as git aligns them (line-diff.ts); then each
 * block of changed lines is diffed again by characters, so a one-word change in a long
 * line deletes that word, not the line. Character matches too short to mean anything
 * (the "r" that "brown" and "red" share) are absorbed into the edits around them, by
 * diff-match-patch's semantic rule, so unrelated lines are replaced whole rather than
 * shredded. The character hunks are used where they change less than one hunk from the
 * block's first difference to its last.
 *
 * No hunk boundary splits a surrogate pair or a "\r\n": a line token is the line with
 * its line end, a character token is a code point or a "\r\n".
 *
 * Cost is bounded: past a fixed number of changed lines (or characters in a block) a
 * diff gives up, and that range falls back to one coarse hunk: its common prefix and
 * suffix kept, the middle replaced.
 */
import { diffArrays, type ArrayChange } from 'diff';
import { changedLines, type LineChanges } from './line-diff.js';
import type { Hunk, TextChange } from './types.js';

/** Blocks of changed lines larger than this (UTF-16 units, old plus new) are not diffed by characters. */
const MAX_CHAR_BLOCK = 20_000;
/** The character diff of one block gives up past this many inserted plus deleted characters. */
const MAX_CHAR_EDITS = 1000;

/** The single changed range between two texts (common prefix and suffix), or undefined if equal. */
export function diffText(a: string, b: string): TextChange | undefined {
  if (a === b) return undefined;
  let p = 0;
  const max = Math.min(a.length, b.length);
  while (p < max && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  let s = 0;
  while (s < max - p && a.charCodeAt(a.length - 1 - s) === b.charCodeAt(b.length - 1 - s)) s++;
  return { offset: p, deleteCount: a.length - p - s, insert: b.slice(p, b.length - s) };
}

/** The edits that turn `before` into `after`: ascending, non-overlapping, in `before`'s UTF-16 offsets. */
export function diffHunks(before: string, after: string): Hunk[] {
  if (before === after) return [];
  const a = splitLines(before);
  const b = splitLines(after);
  const out: Hunk[] = [];
  const changes = changedLines(a, b);
  if (changes === undefined) diffBlock(before, after, 0, out);
  else forEachBlock(a, b, changes, (offset, old, added) => diffBlock(old, added, offset, out));
  // Line alignment can pick a match that costs more than it saves (" x\r\n \n" to
  // " \nx \n" keeps the " \n" line and rewrites both around it): never give more than
  // the one hunk between the common prefix and suffix.
  const single = coarseHunk(before, after);
  return single && size([single]) < size(out) ? [single] : out;
}

/** Calls `block` for each run of changed lines, in order: where it starts in the old text, the old lines' text and the new lines'. */
function forEachBlock(a: readonly string[], b: readonly string[], changes: LineChanges, block: (offset: number, old: string, added: string) => void): void {
  let i = 0;
  let j = 0;
  let offset = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && changes.old[i] === 0 && changes.new[j] === 0) {
      offset += a[i++]!.length;
      j++;
      continue;
    }
    const start = offset;
    let old = '';
    let added = '';
    for (; i < a.length && changes.old[i] === 1; i++) {
      old += a[i];
      offset += a[i]!.length;
    }
    for (; j < b.length && changes.new[j] === 1; j++) added += b[j];
    if (old.length === 0 && added.length === 0) throw new Error('line diff: unchanged lines do not pair up');
    block(start, old, added);
  }
}

/** Appends the hunks that turn `before` (which starts at `offset` in the old text) into `after`. */
function diffBlock(before: string, after: string, offset: number, out: Hunk[]): void {
  const coarse = coarseHunk(before, after);
  let hunks = coarse ? [coarse] : [];
  if (coarse && coarse.deleteCount > 0 && coarse.insert.length > 0 && before.length + after.length <= MAX_CHAR_BLOCK) {
    const parts = diffArrays(charTokens(before), charTokens(after), { maxEditLength: MAX_CHAR_EDITS });
    const fine = parts && absorbShortMatches(charHunks(parts), before);
    if (fine && size(fine) < size(hunks)) hunks = fine;
  }
  for (const h of hunks) out.push({ offset: offset + h.offset, deleteCount: h.deleteCount, insert: h.insert });
}

/** Units deleted plus units inserted. */
function size(hunks: readonly Hunk[]): number {
  let n = 0;
  for (const h of hunks) n += h.deleteCount + h.insert.length;
  return n;
}

/** Hunks (offsets from the block's start) of a character diff: each run of changes between two matches. */
function charHunks(parts: readonly ArrayChange<string>[]): Hunk[] {
  const hunks: Hunk[] = [];
  let pos = 0;
  let deleteCount = 0;
  let insert = '';
  for (const part of parts) {
    const text = part.value.join('');
    if (part.removed) deleteCount += text.length;
    else if (part.added) insert += text;
    else {
      if (deleteCount > 0 || insert.length > 0) hunks.push({ offset: pos, deleteCount, insert });
      pos += deleteCount + text.length;
      deleteCount = 0;
      insert = '';
    }
  }
  if (deleteCount > 0 || insert.length > 0) hunks.push({ offset: pos, deleteCount, insert });
  return hunks;
}

/**
 * Joins two neighbouring hunks when the text kept between them is no longer than the
 * larger side (deleted or inserted) of each: such a match is chance, not structure
 * (diff-match-patch's semantic cleanup). Joining only grows hunks, which can make a
 * join with the hunk before possible, hence the stack.
 */
function absorbShortMatches(hunks: readonly Hunk[], before: string): Hunk[] {
  const out: Hunk[] = [];
  for (let cur of hunks) {
    for (let prev = out[out.length - 1]; prev !== undefined; prev = out[out.length - 1]) {
      const keptFrom = prev.offset + prev.deleteCount;
      const kept = cur.offset - keptFrom;
      if (kept > Math.max(prev.deleteCount, prev.insert.length) || kept > Math.max(cur.deleteCount, cur.insert.length)) break;
      out.pop();
      cur = { offset: prev.offset, deleteCount: cur.offset + cur.deleteCount - prev.offset, insert: prev.insert + before.slice(keptFrom, cur.offset) + cur.insert };
    }
    out.push(cur);
  }
  return out;
}

/** One hunk replacing everything between the common prefix and suffix, cut at token boundaries; undefined if equal. */
function coarseHunk(before: string, after: string): Hunk | undefined {
  if (before === after) return undefined;
  const max = Math.min(before.length, after.length);
  let p = 0;
  while (p < max && before.charCodeAt(p) === after.charCodeAt(p)) p++;
  if (p > 0 && (splitsPair(before, p) || splitsPair(after, p))) p--;
  let s = 0;
  while (s < max - p && before.charCodeAt(before.length - 1 - s) === after.charCodeAt(after.length - 1 - s)) s++;
  if (s > 0 && (splitsPair(before, before.length - s) || splitsPair(after, after.length - s))) s--;
  return { offset: p, deleteCount: before.length - p - s, insert: after.slice(p, after.length - s) };
}

/** True if position `i` falls inside a surrogate pair or a "\r\n". */
function splitsPair(text: string, i: number): boolean {
  const left = text.charCodeAt(i - 1);
  const right = text.charCodeAt(i);
  return (left === 13 && right === 10) || (isHigh(left) && isLow(right));
}

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** The lines of a text, each with its line end ("\n", so "\r\n" too); the last one may have none. */
function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
    lines.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

/** The characters of a text as tokens: a code point (a surrogate pair is one) or a "\r\n". */
function charTokens(text: string): string[] {
  const tokens: string[] = [];
  for (let i = 0; i < text.length; ) {
    const n = splitsPair(text, i + 1) ? 2 : 1;
    tokens.push(text.slice(i, i + n));
    i += n;
  }
  return tokens;
}
