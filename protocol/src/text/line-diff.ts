/**
 * Which lines of two texts changed, aligned the way git aligns them.
 *
 * Myers' diff (jsdiff's `diffArrays`, over lines interned to numbers so that two lines
 * compare in one step) finds a shortest edit, but where a change sits among equal lines
 * is arbitrary: deleting one of "end / return / end" may take the first two lines or the
 * last two. Two members who make the same change must get the same lines, or the CRDT
 * deletes both pairs (it deletes characters by identity). So every group of changed
 * lines is then slid to one canonical place, by git's own rule (xdl_change_compact in
 * xdiff/xdiffi.c, without the indent heuristic, as `git merge-file` runs it): as far down
 * as it goes, unless sliding passes a change of the other text, in which case it stays
 * level with the lowest such change, so that a replaced line stays one replace.
 *
 * Cost is bounded: common lines at both ends are cut off first, a count of the lines
 * both texts hold tells at once when more than MAX_LINE_EDITS lines differ (a file
 * replaced wholesale), and Myers gives up past that many edits (jsdiff's
 * `maxEditLength`; its `timeout` would read the clock, which the sans-I/O core may not).
 */
import { diffArrays } from 'diff';

/** The line diff gives up past this many inserted plus deleted lines. */
export const MAX_LINE_EDITS = 2000;

/** Per line of each text, 1 if it is deleted (old) or inserted (new). Unchanged lines pair up in order. */
export interface LineChanges {
  readonly old: Uint8Array;
  readonly new: Uint8Array;
}

/** The changed lines of `a` -> `b` (each line with its line end), or undefined if that costs too much to know. */
export function changedLines(a: readonly string[], b: readonly string[]): LineChanges | undefined {
  const numbers = new Map<string, number>();
  const intern = (line: string): number => {
    let n = numbers.get(line);
    if (n === undefined) numbers.set(line, (n = numbers.size));
    return n;
  };
  const x = a.map(intern);
  const y = b.map(intern);
  let p = 0;
  while (p < x.length && p < y.length && x[p] === y[p]) p++;
  let s = 0;
  while (s < x.length - p && s < y.length - p && x[x.length - 1 - s] === y[y.length - 1 - s]) s++;
  const midX = x.slice(p, x.length - s);
  const midY = y.slice(p, y.length - s);
  if (minEdits(midX, midY, numbers.size) > MAX_LINE_EDITS) return undefined;
  const parts = diffArrays(midX, midY, { maxEditLength: MAX_LINE_EDITS });
  if (parts === undefined) return undefined;
  const changes: LineChanges = { old: new Uint8Array(x.length), new: new Uint8Array(y.length) };
  let i = p;
  let j = p;
  for (const part of parts) {
    if (part.removed) changes.old.fill(1, i, (i += part.count));
    else if (part.added) changes.new.fill(1, j, (j += part.count));
    else {
      i += part.count;
      j += part.count;
    }
  }
  compact(x, changes.old, changes.new);
  compact(y, changes.new, changes.old);
  return changes;
}

/**
 * A lower bound on the edits between two sequences of line numbers (< `kinds`): every
 * line beyond the ones both hold must be inserted or deleted.
 */
function minEdits(a: readonly number[], b: readonly number[], kinds: number): number {
  const count = new Int32Array(kinds);
  for (const v of a) count[v]!++;
  let common = 0;
  for (const v of b) {
    if (count[v]! > 0) {
      count[v]!--;
      common++;
    }
  }
  return a.length + b.length - 2 * common;
}

/** A group of changed lines [start, end) of one text; empty where the other text alone changed. */
interface Group {
  start: number;
  end: number;
}

/**
 * git's xdl_change_compact for the lines `recs` with change flags `ch`, the other
 * text's flags being `other` (only read). Groups of the two texts correspond one to one
 * (empty ones included), so a cursor `go` on the other text moves in step.
 */
function compact(recs: readonly number[], ch: Uint8Array, other: Uint8Array): void {
  const n = recs.length;
  const changed = (flags: Uint8Array, i: number): boolean => i >= 0 && i < flags.length && flags[i] === 1;
  const first = (flags: Uint8Array): Group => {
    let end = 0;
    while (changed(flags, end)) end++;
    return { start: 0, end };
  };
  const next = (flags: Uint8Array, g: Group): boolean => {
    if (g.end === flags.length) return false;
    g.start = g.end + 1;
    for (g.end = g.start; changed(flags, g.end); g.end++);
    return true;
  };
  const previous = (flags: Uint8Array, g: Group): boolean => {
    if (g.start === 0) return false;
    g.end = g.start - 1;
    for (g.start = g.end; changed(flags, g.start - 1); g.start--);
    return true;
  };
  const slideDown = (g: Group): boolean => {
    if (g.end >= n || recs[g.start] !== recs[g.end]) return false;
    ch[g.start++] = 0;
    ch[g.end++] = 1;
    while (changed(ch, g.end)) g.end++;
    return true;
  };
  const slideUp = (g: Group): boolean => {
    if (g.start === 0 || recs[g.start - 1] !== recs[g.end - 1]) return false;
    ch[--g.start] = 1;
    ch[--g.end] = 0;
    while (changed(ch, g.start - 1)) g.start--;
    return true;
  };
  const outOfStep = (): never => {
    throw new Error('line diff: the two texts\' groups of changes are out of step');
  };
  const g = first(ch);
  const go = first(other);
  for (;;) {
    if (g.end > g.start) {
      let size: number;
      let earliestEnd: number;
      let endMatchingOther: number;
      do {
        size = g.end - g.start;
        endMatchingOther = -1;
        while (slideUp(g)) if (!previous(other, go)) outOfStep();
        earliestEnd = g.end;
        if (go.end > go.start) endMatchingOther = g.end;
        while (slideDown(g)) {
          if (!next(other, go)) outOfStep();
          if (go.end > go.start) endMatchingOther = g.end;
        }
      } while (size !== g.end - g.start);
      if (g.end !== earliestEnd && endMatchingOther !== -1) {
        // Back up to the lowest place where the group lines up with a change of the other text.
        while (go.end === go.start) {
          if (!slideUp(g) || !previous(other, go)) outOfStep();
        }
      }
    }
    if (!next(ch, g)) break;
    if (!next(other, go)) outOfStep();
  }
}
