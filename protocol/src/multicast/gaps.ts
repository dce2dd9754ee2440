/**
 * Gap repair for causal multicast, sans-I/O: which missing commits to ask which
 * neighbour for, and when. A commit id the replica wants (a dependency of a buffered
 * commit) is first given `gapDelayMs` to arrive by itself (it is usually in flight on
 * another path); then one neighbour is asked (WANT), and after `wantTimeoutMs` without
 * it the next one, round robin, with the timeout doubling up to `maxTimeoutMs`.
 * An id stops being tracked as soon as the replica no longer wants it.
 */
import type { CommitId } from '../log/ids.js';

export interface GapTimings {
  /** Wait this long before the first request (default 150 ms). */
  gapDelayMs?: number;
  /** Ask the next neighbour after this long without an answer (default 500 ms). */
  wantTimeoutMs?: number;
  /** Upper bound of the doubling timeout (default 5 s). */
  maxTimeoutMs?: number;
}

interface Gap {
  /** When to act next. */
  due: number;
  /** Requests made so far. */
  asked: number;
  /** Which neighbour (in the round-robin order) it asks first: gaps spread over neighbours. */
  readonly first: number;
  /** Topic to name in the WANT (the topic of the commit that needs it). */
  topic: Uint8Array | undefined;
}

export interface WantRequest {
  to: string;
  topic: Uint8Array | undefined;
  ids: CommitId[];
}

export class GapTracker {
  private readonly gaps = new Map<CommitId, Gap>();
  private readonly gapDelayMs: number;
  private readonly wantTimeoutMs: number;
  private readonly maxTimeoutMs: number;
  private cursor = 0;

  constructor(t: GapTimings = {}) {
    this.gapDelayMs = t.gapDelayMs ?? 150;
    this.wantTimeoutMs = t.wantTimeoutMs ?? 500;
    this.maxTimeoutMs = t.maxTimeoutMs ?? 5000;
  }

  get size(): number {
    return this.gaps.size;
  }

  /** Reconciles with what the replica wants now; new ids start their delay. */
  update(wanted: readonly CommitId[], now: number, topicOf: (id: CommitId) => Uint8Array | undefined): void {
    const w = new Set(wanted);
    for (const id of this.gaps.keys()) if (!w.has(id)) this.gaps.delete(id);
    for (const id of wanted) if (!this.gaps.has(id)) this.gaps.set(id, { due: now + this.gapDelayMs, asked: 0, first: this.cursor++, topic: topicOf(id) });
  }

  /** Requests due at `now`, grouped per neighbour; `neighbours` in a stable order. */
  due(now: number, neighbours: readonly string[], maxIds: number): WantRequest[] {
    if (neighbours.length === 0) return [];
    const byTarget = new Map<string, WantRequest>();
    const out: WantRequest[] = [];
    for (const [id, g] of this.gaps) {
      if (g.due > now) continue;
      // Each request of a gap goes to the next neighbour. (A shared cursor moved on every
      // call with `asked` made a lone gap ask the same one of two neighbours for ever.)
      const to = neighbours[(g.first + g.asked) % neighbours.length]!;
      g.asked++;
      g.due = now + Math.min(this.maxTimeoutMs, this.wantTimeoutMs * 2 ** Math.floor((g.asked - 1) / Math.max(1, neighbours.length)));
      const key = `${to}\u0000${g.topic ? hexOf(g.topic) : ''}`;
      let req = byTarget.get(key);
      if (!req || req.ids.length >= maxIds) {
        byTarget.set(key, (req = { to, topic: g.topic, ids: [] }));
        out.push(req);
      }
      req.ids.push(id);
    }
    return out;
  }

  /** Earliest time something is due, if anything is tracked. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const g of this.gaps.values()) if (next === undefined || g.due < next) next = g.due;
    return next;
  }
}

function hexOf(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
