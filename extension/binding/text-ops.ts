/**
 * The editor binding's text changes (no `vscode` here): the plain-text algebra (Op,
 * xform, toHunks: protocol/src/text/op-transform.ts, from the core's entry point) and the line/character hunks a
 * WorkspaceEdit carries. The binding uses xform when the user types while remote
 * changes wait to reach the document, and toHunks so an apply is simultaneous hunks,
 * without one big range that would move the user's cursor.
 */
import { diffText, type Op } from '../../protocol/src/index.js';

export { applyOps, toHunks, xform, type Op } from '../../protocol/src/index.js';

/** The single changed range between two texts (common prefix and suffix), or undefined if equal. */
export const diffOp: (a: string, b: string) => Op | undefined = diffText;

/** A replace given by line and character positions, as a WorkspaceEdit carries it. */
export interface LineHunk {
  readonly startLine: number;
  readonly startChar: number;
  readonly endLine: number;
  readonly endChar: number;
  readonly insert: string;
}

/** Line starts of `text` (VS Code splits lines at "\r\n", "\r" and "\n"), and each line's length without its end. */
function lines(text: string): { starts: number[]; lengths: number[] } {
  const starts = [0];
  const lengths: number[] = [];
  const re = /\r\n|\r|\n/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    lengths.push(m.index - starts[starts.length - 1]!);
    starts.push(m.index + m[0].length);
  }
  lengths.push(text.length - starts[starts.length - 1]!);
  return { starts, lengths };
}

/** Converts offset hunks of `text` to line/character hunks. */
export function toLineHunks(text: string, hunks: readonly Op[]): LineHunk[] {
  const { starts } = lines(text);
  const at = (offset: number): [number, number] => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return [lo, offset - starts[lo]!];
  };
  return hunks.map((h) => {
    const [startLine, startChar] = at(h.offset);
    const [endLine, endChar] = at(h.offset + h.deleteCount);
    return { startLine, startChar, endLine, endChar, insert: h.insert };
  });
}

/**
 * What VS Code makes of line/character hunks applied to `text` (which may have changed
 * since they were built): positions are clamped to the text's lines, and the hunks are
 * applied simultaneously. Used to recognise our own edit among a document's changes.
 */
export function applyLineHunks(text: string, hunks: readonly LineHunk[]): string {
  const { starts, lengths } = lines(text);
  const offset = (line: number, char: number): number => {
    if (line < 0) return 0;
    if (line >= starts.length) return text.length;
    return starts[line]! + Math.max(0, Math.min(char, lengths[line]!));
  };
  const spans = hunks.map((h) => ({ from: offset(h.startLine, h.startChar), to: offset(h.endLine, h.endChar), insert: h.insert })).sort((a, b) => b.from - a.from);
  let t = text;
  for (const s of spans) t = t.slice(0, s.from) + s.insert + t.slice(Math.max(s.from, s.to));
  return t;
}

/**
 * Ops that give `from` the line ends of `to`, where the two differ in line ends only
 * ("\n", "\r\n", "\r"): one small op per line end that differs, last first (each offset
 * holds when applied in order), touching no other character. Undefined when the texts
 * differ otherwise. One op over the whole span between the first and the last difference
 * deleted and re-inserted every word in between: a teammate's concurrent edit there was
 * then merged with a copy of the text it changed.
 */
export function lineEndOps(from: string, to: string): Op[] | undefined {
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  const endAt = (text: string, k: number): number => (text[k] === '\r' ? (text[k + 1] === '\n' ? 2 : 1) : text[k] === '\n' ? 1 : 0);
  while (i < from.length || j < to.length) {
    const a = endAt(from, i);
    const b = endAt(to, j);
    if (a === 0 && b === 0) {
      if (from[i] !== to[j]) return undefined;
      i++;
      j++;
      continue;
    }
    if (a === 0 || b === 0) return undefined;
    const mine = from.slice(i, i + a);
    const theirs = to.slice(j, j + b);
    if (mine !== theirs) ops.push({ offset: i, deleteCount: a, insert: theirs });
    i += a;
    j += b;
  }
  return ops.reverse();
}
