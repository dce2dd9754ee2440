/**
 * Catch-up between two replicas: one SyncSession per peer connection, sans-I/O
 * (bytes in, bytes out; no clock, no timers). The wire format is in message.ts.
 *
 * Algorithm (Automerge's sync protocol, with an exact repair step):
 *  1. start(): send a request {heads, have: {lastSync, Bloom filter of every commit we
 *     have that is not an ancestor of lastSync}}. A session that did not start sends
 *     its own have with its first reply (unless it already has the same heads, or the
 *     peer has nothing, when the have would be useless).
 *  2. On a have, reply with, in topological order, every commit we have that is not
 *     provably theirs (an ancestor of their heads or lastSync, as far as our graph
 *     shows) and that is either absent from their filter or depends on a commit we
 *     send: their set is causally closed, so a descendant of a commit they lack is one
 *     they lack, whatever the filter says. The reply is split into parts of at most
 *     maxMessageBytes; its last part says "answered" = the number of their requests
 *     served so far.
 *  3. After merging (poll()), once all our requests are answered: if we still lack any
 *     of their heads, a Bloom false positive made them skip something. We ask for those
 *     heads ("need"). A source that stores commits before their dependencies (a broker)
 *     can have every head and still lack a commit that a false positive skipped: it
 *     also asks, once per session, for the dependencies it lacks (missingDependencies);
 *     the peer answers those it has and ignores the rest; they reply with every commit in the past of those heads that is
 *     not provably ours and not already sent to us (the ones sent wait in our replica's
 *     buffer for exactly these). That reply is exact, so one repair round closes any gap:
 *     false positives cost a round trip, never a missing commit. If the same ids are
 *     asked for twice (our buffer dropped something), the reply re-sends them all.
 *  4. Whenever our heads differ from the last ones we sent, we send them (a few bytes).
 *     A session is done when our heads equal the peer's latest heads.
 *
 * Costs (n = commits since lastSync on the other side, d = commits the peer lacks):
 *  - bytes: d commits + a length varint each (~1%), one filter of ~10 bits per entry
 *    (1.25 n bytes), heads (32 bytes each) on every message.
 *  - flights (one-way legs): both start at once: have, commits, heads = 3 (1.5 round
 *    trips); identical replicas: 1; one side only answering: 4; a false positive that
 *    matters adds 2 (need, reply). With a 10-bit filter that is rare: only commits none
 *    of whose own new ancestors were sent can be skipped (p ~ 0.8% each).
 */
import { ByteWriter } from '../codec/bytes.js';
import { DecodeError } from '../codec/errors.js';
import type { CommitId } from '../log/ids.js';
import { CommitBloom, DEFAULT_BLOOM_BITS_PER_ENTRY, DEFAULT_BLOOM_HASHES } from './bloom.js';
import { SyncProtocolError } from './errors.js';
import { SYNC_LIMITS, decodeSyncMessage, encodeSyncMessage, writeSyncPrefix, type SyncHave, type SyncMessage } from './message.js';
import { ancestorsIn, sameIds, sortedIds, type SyncSource } from './source.js';

export const DEFAULT_MAX_MESSAGE_BYTES = 1 << 20;
const MIN_MESSAGE_BYTES = 1024;
/** Room for the commit-count varint that the prefix is measured without. */
const COUNT_SLACK = 5;

export interface SyncSessionInit {
  /** sharedHeads() of the last session with this peer: their past is not put in the filter. */
  lastSyncHeads?: readonly CommitId[];
  /** Split point for large transfers (default 1 MiB). A single commit larger than this goes alone. */
  maxMessageBytes?: number;
  /** Bloom filter bits per entry (default 10); tests force false positives with tiny values. */
  bloomBitsPerEntry?: number;
  /** Bloom filter probes (default 7). */
  bloomHashes?: number;
  /** How many repair requests in a row may bring nothing before the session gives up (default 3). */
  maxStalledRepairs?: number;
}

export interface SyncStats {
  messagesSent: number;
  bytesSent: number;
  commitsSent: number;
  commitBytesSent: number;
  messagesReceived: number;
  bytesReceived: number;
  commitsReceived: number;
  commitBytesReceived: number;
  messagesRejected: number;
  repairRequests: number;
}

export interface SyncStep {
  /** Messages to send to the peer, in order. */
  send: Uint8Array[];
  /** Commit encodings for the replica to merge (any order; it buffers missing dependencies). */
  commits: Uint8Array[];
  done: boolean;
  stats: SyncStats;
  /** Set when the input was refused (nothing else changed) or the session gave up. */
  error?: DecodeError | SyncProtocolError;
}

export class SyncSession {
  private readonly maxMessageBytes: number;
  private readonly lastSyncHeads: readonly CommitId[];
  private readonly bloomBitsPerEntry: number;
  private readonly bloomHashes: number;
  private readonly maxStalledRepairs: number;

  private started = false;
  /** The peer's heads as of its latest message (sorted). */
  private theirHeads: CommitId[] | undefined;
  private theirLastSync: readonly CommitId[] = [];
  private sentHeads: CommitId[] | undefined;
  /** Commits sent in this session; the peer has them or holds them in its buffer. */
  private readonly sent = new Set<CommitId>();
  /** Ids the peer asked for; asked again means its buffer lost something. */
  private readonly needAnswered = new Set<CommitId>();
  private myRequests = 0;
  private theirAnswered = 0;
  private peerRequests = 0;
  private answeredSent = 0;
  /** The latest message said more parts follow. */
  private inBatch = false;
  private stalledRepairs = 0;
  /** Missing dependencies already asked for in this session (a peer may not have them either). */
  private readonly askedDependencies = new Set<CommitId>();
  private lastRepairKey: string | undefined;
  private failure: SyncProtocolError | undefined;
  private readonly stats: SyncStats = {
    messagesSent: 0,
    bytesSent: 0,
    commitsSent: 0,
    commitBytesSent: 0,
    messagesReceived: 0,
    bytesReceived: 0,
    commitsReceived: 0,
    commitBytesReceived: 0,
    messagesRejected: 0,
    repairRequests: 0,
  };

  constructor(
    private readonly source: SyncSource,
    init: SyncSessionInit = {},
  ) {
    this.maxMessageBytes = init.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (!Number.isInteger(this.maxMessageBytes) || this.maxMessageBytes < MIN_MESSAGE_BYTES || this.maxMessageBytes > SYNC_LIMITS.maxMessageBytes) {
      throw new RangeError(`maxMessageBytes must be an integer in ${MIN_MESSAGE_BYTES}..${SYNC_LIMITS.maxMessageBytes}`);
    }
    this.lastSyncHeads = init.lastSyncHeads ?? [];
    this.bloomBitsPerEntry = init.bloomBitsPerEntry ?? DEFAULT_BLOOM_BITS_PER_ENTRY;
    this.bloomHashes = init.bloomHashes ?? DEFAULT_BLOOM_HASHES;
    this.maxStalledRepairs = init.maxStalledRepairs ?? 3;
  }

  /** The opening request. Call once; a session may also just answer (receive first). */
  start(): Uint8Array[] {
    if (this.started) return [];
    this.started = true;
    return this.pack({ have: this.buildHave() }, []);
  }

  /** Handles one message. Merge `commits` into the replica, then call poll(). */
  receive(bytes: Uint8Array): SyncStep {
    let msg: SyncMessage;
    try {
      msg = decodeSyncMessage(bytes);
    } catch (err) {
      if (err instanceof DecodeError) return this.rejected(err);
      throw err;
    }
    if (msg.answered < this.theirAnswered || msg.answered > this.myRequests) {
      return this.rejected(
        new SyncProtocolError('bad-answer', `peer says it answered ${msg.answered} requests; we sent ${this.myRequests}, it had answered ${this.theirAnswered}`),
      );
    }
    this.stats.messagesReceived++;
    this.stats.bytesReceived += bytes.length;
    this.stats.commitsReceived += msg.commits.length;
    for (const c of msg.commits) this.stats.commitBytesReceived += c.length;
    this.theirHeads = [...msg.heads];
    this.theirAnswered = msg.answered;
    this.inBatch = msg.more;
    if (msg.have) this.theirLastSync = msg.have.lastSync;

    const firstContact = !this.started;
    this.started = true;
    const isRequest = msg.have !== undefined || msg.need !== undefined;
    if (isRequest) this.peerRequests++;
    const reply = isRequest ? this.answer(msg) : [];
    const differ = !sameIds(this.ourHeads(), msg.heads);
    const have = firstContact && differ && msg.heads.length > 0 ? this.buildHave() : undefined;
    const send = reply.length > 0 || firstContact || (isRequest && differ) ? this.pack({ have }, reply) : [];
    return this.step(send, [...msg.commits]);
  }

  /**
   * What to say now that the replica has merged what was received (or made local
   * commits): our new heads, or a repair request. Cheap when there is nothing to say.
   */
  poll(): SyncStep {
    if (!this.started || this.inBatch || this.failure) return this.step([], []);
    const heads = this.ourHeads();
    const missing = (this.theirHeads ?? []).filter((h) => !this.source.has(h));
    const dependencies = this.unaskedMissingDependencies(SYNC_LIMITS.maxIds - missing.length);
    let send: Uint8Array[] = [];
    if (missing.length > 0 || dependencies.length > 0) {
      // Wait while a request is still being answered: its reply may hold them.
      if (this.theirAnswered < this.myRequests) return this.step([], []);
      if (missing.length > 0) {
        const key = heads.join();
        this.stalledRepairs = key === this.lastRepairKey ? this.stalledRepairs + 1 : 0;
        this.lastRepairKey = key;
        if (this.stalledRepairs >= this.maxStalledRepairs) {
          this.failure = new SyncProtocolError('incomplete', `peer advertised ${missing.length} heads it does not deliver`);
          return this.step([], [], this.failure);
        }
      }
      for (const id of dependencies) this.askedDependencies.add(id);
      this.stats.repairRequests++;
      send = this.pack({ need: [...missing, ...dependencies] }, []);
    } else if (!this.sentHeads || !sameIds(heads, this.sentHeads)) {
      send = this.pack({}, []);
    }
    return this.step(send, []);
  }

  private unaskedMissingDependencies(limit: number): CommitId[] {
    if (!this.source.missingDependencies || this.theirHeads === undefined) return [];
    const out: CommitId[] = [];
    for (const id of this.source.missingDependencies()) {
      if (out.length >= limit) break;
      if (!this.askedDependencies.has(id)) out.push(id);
    }
    return out;
  }

  /** True when both sides are known to have the same heads. */
  get done(): boolean {
    return this.failure === undefined && !this.inBatch && this.theirHeads !== undefined && sameIds(this.ourHeads(), this.theirHeads);
  }

  /** Heads both sides are known to have: persist as lastSyncHeads for the next session with this peer. */
  sharedHeads(): CommitId[] {
    return (this.theirHeads ?? []).filter((h) => this.source.has(h));
  }

  getStats(): SyncStats {
    return { ...this.stats };
  }

  private ourHeads(): CommitId[] {
    return sortedIds(this.source.heads());
  }

  private buildHave(): SyncHave {
    let lastSync = sortedIds(this.lastSyncHeads.filter((id) => this.source.has(id)));
    if (lastSync.length > SYNC_LIMITS.maxIds) lastSync = [];
    const base = ancestorsIn(this.source, lastSync);
    const since = this.source.topological().filter((id) => !base.has(id));
    const bloom = CommitBloom.build(since, {
      bitsPerEntry: this.bloomBitsPerEntry,
      hashes: this.bloomHashes,
      maxBytes: Math.floor(this.maxMessageBytes / 4),
    });
    return { lastSync, bloom };
  }

  /** The commits a request asks for, in topological order. */
  private answer(msg: SyncMessage): CommitId[] {
    const provable = ancestorsIn(this.source, [...msg.heads, ...this.theirLastSync]);
    const chosen = new Set<CommitId>();
    if (msg.have) {
      const lacking = new Set<CommitId>();
      for (const id of this.source.topological()) {
        if (provable.has(id)) continue;
        if (this.sent.has(id)) {
          lacking.add(id);
        } else if (!msg.have.bloom.has(id) || this.source.deps(id).some((d) => lacking.has(d))) {
          lacking.add(id);
          chosen.add(id);
        }
      }
    }
    if (msg.need) {
      const resendAll = msg.need.some((id) => this.needAnswered.has(id));
      for (const id of msg.need) this.needAnswered.add(id);
      const seen = new Set<CommitId>();
      // An id the peer names is one it lacks, even where its heads say otherwise (a
      // broker stores commits before their dependencies).
      const named = new Set(msg.need);
      const stack = msg.need.filter((id) => this.source.has(id));
      while (stack.length > 0) {
        const id = stack.pop()!;
        if (seen.has(id) || (provable.has(id) && !named.has(id))) continue;
        seen.add(id);
        if (resendAll || !this.sent.has(id)) chosen.add(id);
        for (const d of this.source.deps(id)) stack.push(d);
      }
    }
    if (chosen.size === 0) return [];
    return this.source.topological().filter((id) => chosen.has(id));
  }

  /** Encodes one batch (a request and/or commits), split at maxMessageBytes. */
  private pack(parts: { have?: SyncHave | undefined; need?: CommitId[] }, ids: readonly CommitId[]): Uint8Array[] {
    const heads = this.ourHeads();
    this.sentHeads = heads;
    if (parts.have || parts.need) this.myRequests++;
    const commits: Uint8Array[] = [];
    for (const id of ids) {
      const bytes = this.source.commitBytes(id);
      if (!bytes || bytes.length === 0 || bytes.length > SYNC_LIMITS.maxCommitBytes) continue;
      commits.push(bytes);
      this.sent.add(id);
    }
    const answered = this.peerRequests;
    const out: Uint8Array[] = [];
    let next = 0;
    do {
      const first = out.length === 0;
      const head = {
        heads,
        answered,
        ...(first && parts.have ? { have: parts.have } : {}),
        ...(first && parts.need ? { need: sortedIds(parts.need) } : {}),
      };
      const w = new ByteWriter();
      writeSyncPrefix(w, { ...head, more: false, commits: [] });
      let size = w.length + COUNT_SLACK;
      const batch: Uint8Array[] = [];
      while (next < commits.length) {
        const c = commits[next]!;
        const cost = varUintLength(c.length) + c.length;
        if (batch.length > 0 && size + cost > this.maxMessageBytes) break;
        batch.push(c);
        size += cost;
        next++;
      }
      const more = next < commits.length;
      const bytes = encodeSyncMessage({ ...head, answered: more ? this.answeredSent : answered, more, commits: batch });
      out.push(bytes);
      this.stats.messagesSent++;
      this.stats.bytesSent += bytes.length;
      this.stats.commitsSent += batch.length;
      for (const c of batch) this.stats.commitBytesSent += c.length;
    } while (next < commits.length);
    this.answeredSent = answered;
    return out;
  }

  private rejected(error: DecodeError | SyncProtocolError): SyncStep {
    this.stats.messagesRejected++;
    return this.step([], [], error);
  }

  private step(send: Uint8Array[], commits: Uint8Array[], error?: DecodeError | SyncProtocolError): SyncStep {
    return { send, commits, done: this.done, stats: this.getStats(), ...(error ? { error } : {}) };
  }
}

function varUintLength(n: number): number {
  let len = 1;
  while (n > 0x7f) {
    n = Math.floor(n / 0x80);
    len++;
  }
  return len;
}
