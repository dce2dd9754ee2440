/**
 * Gives memory back after an attack (issue 18). A broker that dropped a hostile
 * connection has its buffers as garbage, but an idle Node process does not collect:
 * V8 runs a full GC when its heap grows, not when the process falls quiet, so the
 * resident memory measured after the connection left stayed ~40-60 MiB above the
 * baseline for as long as the broker stayed quiet (and ~20 MiB above it with a GC every
 * 2 s). Every `intervalMs` this looks at the resident set: grown more than `growth`
 * over what it was after the last collection, it asks V8 for one full collection
 * (measured: back to the baseline within a megabyte or two). So at most one full GC per
 * interval, and only while memory grows; a broker whose memory does not grow never pays.
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
  let settled = process.memoryUsage.rss();
  return every(init.clock, init.intervalMs ?? 5000, () => {
    const before = process.memoryUsage.rss();
    if (before <= settled * (1 + growth)) return;
    gc();
    settled = process.memoryUsage.rss();
    init.onCollect?.(before, settled);
  });
}
