/** Shared helpers of the text CRDT tests: a seeded PRNG and change application. */
import type { TextChange } from '../../../protocol/src/text/index.js';

/** The project's seeded PRNG (mulberry32). */
export { prng as rng } from '../../../protocol/sim/prng.js';

export function int(r: () => number, n: number): number {
  return Math.floor(r() * n);
}

/** Applies editor changes one after another, as an editor binding would. */
export function applyChanges(text: string, changes: readonly TextChange[]): string {
  for (const c of changes) {
    if (c.offset < 0 || c.offset + c.deleteCount > text.length) throw new Error(`change out of range: ${JSON.stringify(c)} on length ${text.length}`);
    text = text.slice(0, c.offset) + c.insert + text.slice(c.offset + c.deleteCount);
  }
  return text;
}

/** Runs fn with a seed; a failure names the seed so it can be replayed. */
export function withSeed(seed: number, fn: (seed: number) => void): void {
  try {
    fn(seed);
  } catch (e) {
    if (e instanceof Error) e.message = `[seed ${seed}] ${e.message}`;
    throw e;
  }
}
