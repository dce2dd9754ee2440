/**
 * Drives two sessions against each other in memory, in lock-step flights: every
 * message produced in flight k is delivered (in order, per direction) in flight k+1.
 * For tests and benchmarks; a real node feeds SyncSession from its transport.
 */
import { SyncSession, type SyncSessionInit } from './session.js';
import type { CommitId } from '../log/ids.js';
import type { SyncReplica } from './source.js';

export interface SyncRunOptions {
  a?: SyncSessionInit;
  b?: SyncSessionInit;
  /** 'both' (default): both sides start at once; 'a': only a starts, b just answers. */
  initiator?: 'both' | 'a';
  /** Safety stop (default 64 flights). */
  maxFlights?: number;
}

export interface SyncRunResult {
  /** flights / 2: a request and its reply make one round trip. */
  roundTrips: number;
  /** One-way legs on the critical path (rounds in which some message was delivered). */
  flights: number;
  bytesAtoB: number;
  bytesBtoA: number;
  messages: number;
  commitsAtoB: number;
  commitsBtoA: number;
  commitBytesAtoB: number;
  commitBytesBtoA: number;
  /** Largest single message, either direction. */
  largestMessage: number;
  done: boolean;
  /** Persist as lastSyncHeads for next time (equal on both sides when done). */
  sharedHeads: { a: CommitId[]; b: CommitId[] };
}

export class SyncDidNotConvergeError extends Error {
  override readonly name = 'SyncDidNotConvergeError';
}

export function runSyncToCompletion(a: SyncReplica, b: SyncReplica, options: SyncRunOptions = {}): SyncRunResult {
  const sa = new SyncSession(a, options.a);
  const sb = new SyncSession(b, options.b);
  const maxFlights = options.maxFlights ?? 64;
  let toB = sa.start();
  let toA = options.initiator === 'a' ? [] : sb.start();
  const r: SyncRunResult = {
    roundTrips: 0,
    flights: 0,
    bytesAtoB: 0,
    bytesBtoA: 0,
    messages: 0,
    commitsAtoB: 0,
    commitsBtoA: 0,
    commitBytesAtoB: 0,
    commitBytesBtoA: 0,
    largestMessage: 0,
    done: false,
    sharedHeads: { a: [], b: [] },
  };
  const deliver = (msgs: Uint8Array[], session: SyncSession, replica: SyncReplica): Uint8Array[] => {
    const replies: Uint8Array[] = [];
    for (const m of msgs) {
      r.messages++;
      r.largestMessage = Math.max(r.largestMessage, m.length);
      const step = session.receive(m);
      if (step.error) throw step.error;
      for (const c of step.commits) replica.merge(c);
      const after = session.poll();
      if (after.error) throw after.error;
      replies.push(...step.send, ...after.send);
    }
    return replies;
  };
  while (toA.length > 0 || toB.length > 0) {
    if (++r.flights > maxFlights) throw new SyncDidNotConvergeError(`no agreement after ${maxFlights} flights`);
    for (const m of toB) r.bytesAtoB += m.length;
    for (const m of toA) r.bytesBtoA += m.length;
    const nextToA = deliver(toB, sb, b);
    const nextToB = deliver(toA, sa, a);
    toA = nextToA;
    toB = nextToB;
  }
  const sta = sa.getStats();
  r.commitsAtoB = sta.commitsSent;
  r.commitBytesAtoB = sta.commitBytesSent;
  const stb = sb.getStats();
  r.commitsBtoA = stb.commitsSent;
  r.commitBytesBtoA = stb.commitBytesSent;
  r.roundTrips = r.flights / 2;
  r.done = sa.done && sb.done;
  r.sharedHeads = { a: sa.sharedHeads(), b: sb.sharedHeads() };
  return r;
}
