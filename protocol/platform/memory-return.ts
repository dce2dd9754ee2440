/**
 * Gives memory back after an attack (issue 18). A broker that dropped a hostile
 * connection has its buffers as garbage, but an idle Node process does not collect:
 * V8 runs a full GC when its heap grows, not when the process falls quiet, so the
 * resident memory measured after the connection left stayed ~40-60 MiB above the
 * baseline for as long as the broker stayed quiet (and ~20 MiB above it with a GC every
 * 2 s). Every `intervalMs` this looks at the resident set: more than `growth` above the
 * quiet level (the lowest seen after a collection), it asks V8 for one full collection
 * (measured: back to the baseline within a few megabytes). So at most one full GC per
 * interval while memory stays above the quiet level and collections give some back, then
 * less and less often (down to one per 5 min) while they give nothing back; a broker
 * whose memory does not grow never pays.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { every, type Clock } from '../src/ports/clock.js';

export interface MemoryReturnInit {
  clock: Clock;
  /** Default 5 s. */
  intervalMs?: number;
  /** Growth of the resident set since the last collection that triggers one. Default 0.1 (10%). */
  growth?: number;
  /** Told after each collection (for the log). */
  onCollect?: (beforeBytes: number, afterBytes: number) => void;
}

function exposeGc(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the watch; returns its stop function. A no-op where V8 will not expose gc. */
export function returnMemoryAfterGrowth(init: MemoryReturnInit): () => void {
  const gc = exposeGc();
  if (gc === undefined) return () => {};
  const growth = init.growth ?? 0.1;
  /** The resident set of the quiet broker: at start, then the lowest seen after a collection. */
  let floor = process.memoryUsage.rss();
  /** Checks to skip: doubles (to MAX_SKIP) while collections give nothing back. */
  let skip = 0;
  let backoff = 1;
  return every(
    init.clock,
    init.intervalMs ?? 5000,
    () => {
      if (skip > 0) {
        skip--;
        return;
      }
      const before = process.memoryUsage.rss();
      if (before <= floor * (1 + growth)) {
        backoff = 1;
        return;
      }
      gc();
      const after = process.memoryUsage.rss();
      init.onCollect?.(before, after);
      floor = Math.min(floor, after);
      if (before - after > before * 0.05) {
        backoff = 1;
        return;
      }
      // Nothing much to give back: the broker holds more now (topics, connections). Look
      // again less often, and once that has lasted, take it as the new quiet level.
      if (backoff >= MAX_SKIP) floor = after;
      skip = backoff;
      backoff = Math.min(backoff * 2, MAX_SKIP);
    },
    true,
  );
}

/** At most one collection per 64 checks (5 min at the default interval) while they return nothing. */
const MAX_SKIP = 64;
