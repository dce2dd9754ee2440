/**
 * Which new file is a recorded file moved and edited (docs/FOLDERS.md, "Edits, restarts,
 * deletes and renames"), as Git's rename detection decides it: the two texts are similar
 * when at least half of the lines of the longer one are lines of the other (a multiset:
 * a line twice counts twice), and a pair is a move only when each is the other's single
 * best match: a tie at the top names no move, and the files stay a delete and a new file.
 */

/** The least similarity (0..1) of a move with an edit. */
export const MOVE_SIMILARITY = 0.5;

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

/** Lines in common over the lines of the longer text (0 when either is empty). */
export function lineSimilarity(a: string, b: string): number {
  return similarity(lineCounts(a), lineCounts(b));
}

function similarity(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  const longer = Math.max(total(a), total(b));
  if (longer === 0) return 0;
  let common = 0;
  for (const [line, n] of a) common += Math.min(n, b.get(line) ?? 0);
  return common / longer;
}

/**
 * Pairs gone files with new files: `gone[i]` is the texts it may have held (a write in
 * flight: either), `found[j]` a new file's text. Returns [i, j] pairs, each at least
 * MOVE_SIMILARITY similar and each the other's unique best.
 */
export function pairMoves(gone: readonly (readonly string[])[], found: readonly string[]): Array<[number, number]> {
  if (gone.length === 0 || found.length === 0) return [];
  const foundLines = found.map(lineCounts);
  const score: number[][] = gone.map((texts) => {
    const lines = texts.map(lineCounts);
    return foundLines.map((f) => Math.max(...lines.map((l) => similarity(l, f))));
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
    return best >= MOVE_SIMILARITY ? at : undefined;
  };
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < gone.length; i++) {
    const j = uniqueBest(score[i]!);
    if (j !== undefined && uniqueBest(score.map((row) => row[j]!)) === i) pairs.push([i, j]);
  }
  return pairs;
}
