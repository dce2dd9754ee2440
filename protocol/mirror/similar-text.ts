/**
 * Which new file is a recorded file moved and edited (docs/FOLDERS.md, "Edits, restarts,
 * deletes and renames"): one that kept at least half of the gone file's lines (a
 * multiset: a line twice counts twice). Git's rename detection divides by the longer
 * text instead, which suits two snapshots; here a file moved and then grown (a paste
 * into it, an afternoon of typing while the mirror was stopped) still carries the old
 * file's text, and taken as a delete and a new file, a teammate's concurrent edit would
 * keep the old file beside it: every old line twice. A pair is a move only when each is
 * the other's single best match: a tie at the top names no move, and the files stay a
 * delete and a new file.
 */

/** The least share of a gone file's lines that a new file keeps to be that file moved. */
export const MOVE_LINES_KEPT = 0.5;

/** Lines of a text, counted. */
function lineCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) counts.set(line, (counts.get(line) ?? 0) + 1);
  if (text.endsWith('\n')) counts.set('', counts.get('')! - 1); // the empty piece after the last line end is no line
  return counts;
}

function total(counts: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const c of counts.values()) n += c;
  return n;
}

/** The share of the lines of `gone` that are lines of `found` (0 when `gone` has none). */
export function linesKept(gone: string, found: string): number {
  return kept(lineCounts(gone), lineCounts(found));
}

/** How many lines the two texts have in common (a multiset). */
export function linesInCommon(a: string, b: string): number {
  return common(lineCounts(a), lineCounts(b));
}

function common(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const [line, count] of a) n += Math.min(count, b.get(line) ?? 0);
  return n;
}

function kept(gone: ReadonlyMap<string, number>, found: ReadonlyMap<string, number>): number {
  const lines = total(gone);
  return lines === 0 ? 0 : common(gone, found) / lines;
}

/**
 * Pairs gone files with new files: `gone[i]` is the texts it may have held (a write in
 * flight: either), `found[j]` a new file's text. Returns [i, j] pairs where the new file
 * keeps at least MOVE_LINES_KEPT of the gone one's lines, each the other's unique best.
 */
export function pairMoves(gone: readonly (readonly string[])[], found: readonly string[]): Array<[number, number]> {
  if (gone.length === 0 || found.length === 0) return [];
  const foundLines = found.map(lineCounts);
  const score: number[][] = gone.map((texts) => {
    const lines = texts.map(lineCounts);
    return foundLines.map((f) => Math.max(...lines.map((l) => kept(l, f))));
  });
  const uniqueBest = (values: readonly number[]): number | undefined => {
    let best = -1;
    let at: number | undefined;
    for (let k = 0; k < values.length; k++) {
      if (values[k]! > best) {
        best = values[k]!;
        at = k;
      } else if (values[k] === best) at = undefined;
    }
    return best >= MOVE_LINES_KEPT ? at : undefined;
  };
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < gone.length; i++) {
    const j = uniqueBest(score[i]!);
    if (j !== undefined && uniqueBest(score.map((row) => row[j]!)) === i) pairs.push([i, j]);
  }
  return pairs;
}
