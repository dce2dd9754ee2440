/**
 * The diff that turns a file changed on disk into edits (diffHunks), on generated 1 MB
 * files (seeded: four random words a line, about 25,000 lines). Figures:
 *   text.diff_scattered_ms  100 line edits scattered over the file (changed, deleted and
 *                           inserted lines); baseline: jsdiff's own diffLines, same input
 *   text.diff_replaced_ms   the file replaced wholesale by another one; baseline: jsdiff's
 *                           diffLines told to give up at the same bound (maxEditLength), which
 *                           it finds out by running Myers that far
 * Each is checked first: the hunks must turn the old file into the new one.
 */
import { diffLines } from 'diff';
import { prng } from '../protocol/sim/index.js';
import { diffHunks, MAX_LINE_EDITS, type Hunk } from '../protocol/src/index.js';
import { record, timeMedian } from './report.js';

const RUNS = 9;

function randomLines(r: () => number, bytes: number): string[] {
  const word = (): string => Math.floor(r() * 1e9).toString(36);
  const out: string[] = [];
  for (let size = 0; size < bytes; ) {
    const line = `${word()} ${word()} ${word()} ${word()}\n`;
    out.push(line);
    size += line.length;
  }
  return out;
}

function applyHunks(text: string, hunks: readonly Hunk[]): string {
  const parts: string[] = [];
  let at = 0;
  for (const h of hunks) {
    parts.push(text.slice(at, h.offset), h.insert);
    at = h.offset + h.deleteCount;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

export async function runDiff(): Promise<void> {
  const r = prng(42);
  const lines = randomLines(r, 1_000_000);
  const before = lines.join('');
  const edited = [...lines];
  for (let k = 0; k < 100; k++) {
    const i = Math.floor(r() * edited.length);
    const x = r();
    if (x < 0.34) edited[i] = `changed ${edited[i]!}`;
    else if (x < 0.67) edited.splice(i, 1);
    else edited.splice(i, 0, `inserted line ${k}\n`);
  }
  const scattered = edited.join('');
  const replaced = randomLines(r, 1_000_000).join('');
  for (const after of [scattered, replaced]) {
    if (applyHunks(before, diffHunks(before, after)) !== after) throw new Error('diffHunks does not turn the file into the new one');
  }
  const input = `generated 1 MB (${lines.length} lines)`;
  record({
    figure: 'text.diff_scattered_ms',
    weft: await timeMedian(() => diffHunks(before, scattered), RUNS, 2),
    unit: 'ms',
    baseline: 'jsdiff diffLines',
    baseline_value: await timeMedian(() => diffLines(before, scattered), RUNS, 2),
    input,
    runs: RUNS,
    note: `100 scattered line edits -> ${diffHunks(before, scattered).length} hunks`,
  });
  record({
    figure: 'text.diff_replaced_ms',
    weft: await timeMedian(() => diffHunks(before, replaced), RUNS, 2),
    unit: 'ms',
    baseline: `jsdiff diffLines, maxEditLength ${MAX_LINE_EDITS}`,
    baseline_value: await timeMedian(() => diffLines(before, replaced, { maxEditLength: MAX_LINE_EDITS }), RUNS, 2),
    input,
    runs: RUNS,
    note: 'replaced wholesale: known too costly from a line count, one coarse hunk',
  });
}
