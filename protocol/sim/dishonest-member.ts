/**
 * The dishonest member of the dishonest mix (dishonest-scenario.ts): a whole node (SimPeer)
 * that types like everyone else and also signs, with its own key, what no honest client
 * makes:
 * - equivocate: a twin replica (same key, the same commits) writes other text with the
 *   same operation ids as the node's own next edit; both commits go out;
 * - omit: a twin that lags behind writes, leaving out the member's latest commits;
 * - backdate: a commit whose only dependency is an old commit, its insert anchored to
 *   nothing (the document's ends);
 * - foreign-anchors: the same, its insert anchored to characters typed since (operations
 *   that refer outside the commit's causal past; off unless asked for);
 * - flood: hundreds of commits in a burst (sometimes newest first);
 * - missing-deps: commits that wait for dependencies that do not exist;
 * - junk: frames no honest node sends, up to one above the frame limit (junk-frames.ts);
 * - topic-flood: SUBSCRIBE to 64 made-up topics at every broker (off unless asked for);
 * - poison-keys: a rotation whose boxes seal every member a wrong key for the current
 *   epoch, and the same box in a signed KEYS message (off unless asked for: see
 *   dishonest-scenario.ts).
 * Crafted commits travel the path the node's own commits travel: PeerRuntime.publishForeign
 * (EVENT to every subscribed neighbour, resent until acknowledged).
 */
import { fromHex, generateSigningKeyPair, sign, toHex, type RandomSource } from '../src/crypto/index.js';
import { createCommit, decodeCommitEnvelope, type CommitEnvelope } from '../src/log/commit.js';
import { commitIdFromBytes, type CommitId } from '../src/log/ids.js';
import { encodeWire, keysSignedBytes } from '../src/multicast/wire.js';
import { sealKeyBox, topicHex, type EpochKeys } from '../src/share/keys.js';
import { encodePayload, type Action } from '../src/share/payload.js';
import { NotAllowedError } from '../src/share/replica-types.js';
import { ShareReplica } from '../src/share/replica.js';
import { encodeOps } from '../src/text/op-codec.js';
import type { InsertOp } from '../src/text/types.js';
import { junkFrames, sendJunk, topicFlood } from './junk-frames.js';
import type { SimPeer } from './sim-peer.js';
import type { Simulation } from './simulation.js';

export const ATTACKS = ['equivocate', 'omit', 'backdate', 'foreign-anchors', 'flood', 'missing-deps', 'junk', 'topic-flood', 'poison-keys'] as const;
export type Attack = (typeof ATTACKS)[number];

export interface DishonestMemberInit {
  readonly sim: Simulation;
  readonly peer: SimPeer;
  /** A new unique line for `path`, registered with the run's ledger (the text ends in a newline). */
  readonly mint: (path: string) => string;
  /** Where junk goes: brokers and teammates. */
  readonly targets: () => Array<{ addr: string; publicKey: Uint8Array }>;
}

export class DishonestMember {
  readonly counts = Object.fromEntries(ATTACKS.map((a) => [a, 0])) as Record<Attack, number>;
  /** Crafted commits published, all attacks together. */
  published = 0;
  private twin: ShareReplica | undefined;
  private lagging: ShareReplica | undefined;
  private readonly bytes: RandomSource;

  constructor(private readonly init: DishonestMemberInit) {
    this.bytes = init.sim.randomSource();
  }

  /** Every epoch key the member's other replicas hold (for the leak check). */
  heldEpochs(): EpochKeys[] {
    return [...(this.twin?.heldEpochs() ?? []), ...(this.lagging?.heldEpochs() ?? [])];
  }

  /** Runs one attack now (its frames and commits go out as the simulation runs). */
  attack(kind: Attack, paths: readonly string[]): void {
    const peer = this.init.peer;
    const replica = peer.node?.replica;
    if (!peer.running || replica === undefined || replica.heldEpochs().length === 0) return;
    const path = this.init.sim.pick(paths);
    const done = ((): boolean => {
      switch (kind) {
        case 'equivocate':
          return this.equivocate(replica, path);
        case 'omit':
          return this.omit(replica, path);
        case 'backdate':
          return this.backdate(replica, path, false);
        case 'foreign-anchors':
          return this.backdate(replica, path, true);
        case 'flood':
          return this.flood(replica, path);
        case 'missing-deps':
          return this.missingDeps(replica, path);
        case 'junk':
          return this.junk(replica);
        case 'topic-flood':
          return this.topicFlood(replica);
        case 'poison-keys':
          return this.poisonKeys(replica);
      }
    })();
    if (done) this.counts[kind]++;
  }

  private equivocate(replica: ShareReplica, path: string): boolean {
    const twin = (this.twin ??= this.newTwin(replica));
    this.sync(twin, replica, 1);
    const mine = this.writeOn(replica, path);
    if (mine === undefined) return false;
    void this.init.peer.commit().catch(() => undefined);
    this.publish(this.writeOn(twin, path) ?? []);
    return true;
  }

  private omit(replica: ShareReplica, path: string): boolean {
    if (this.lagging === undefined) {
      this.lagging = this.newTwin(replica);
      this.sync(this.lagging, replica, 1);
      return false;
    }
    const envs = this.writeOn(this.lagging, path);
    this.publish(envs ?? []);
    this.sync(this.lagging, replica, 0.5);
    return envs !== undefined && envs.length > 0;
  }

  private backdate(replica: ShareReplica, path: string, anchored: boolean): boolean {
    const ids = replica.topological();
    if (ids.length < 3) return false;
    const old = ids[this.init.sim.below(Math.floor(ids.length * 0.7))]!;
    const env = decodeCommitEnvelope(replica.commitBytes(old)!);
    const epoch = replica.heldEpochs().find((e) => topicHex(e.topic) === topicHex(env.topic) && e.topicSecret !== undefined);
    const text = this.craftInsert(replica, path, anchored);
    if (epoch === undefined || text === undefined) return false;
    this.publish([this.commitOn(epoch, [old], [text])]);
    return true;
  }

  private flood(replica: ShareReplica, path: string): boolean {
    const twin = (this.twin ??= this.newTwin(replica));
    this.sync(twin, replica, 1);
    const envs: CommitEnvelope[] = [];
    for (let n = 100 + this.init.sim.below(200); n > 0; n--) envs.push(...(this.writeOn(twin, path) ?? []));
    this.publish(this.init.sim.random() < 0.5 ? envs.reverse() : envs);
    return envs.length > 0;
  }

  private missingDeps(replica: ShareReplica, path: string): boolean {
    const epoch = replica.currentEpoch();
    if (epoch?.topicSecret === undefined) return false;
    const envs: CommitEnvelope[] = [];
    for (let n = 50 + this.init.sim.below(150); n > 0; n--) {
      const text = this.craftInsert(replica, path, this.init.sim.random() < 0.5);
      if (text === undefined) return false;
      envs.push(this.commitOn(epoch, [commitIdFromBytes(this.bytes(32)), ...replica.heads()], [text]));
    }
    this.publish(envs);
    return true;
  }

  private junk(replica: ShareReplica): boolean {
    const epoch = replica.currentEpoch();
    const targets = this.init.targets();
    if (epoch?.topicSecret === undefined || targets.length === 0) return false;
    const topics = replica.topicsNewestFirst();
    const ids = replica.topological();
    const sample = ids.length > 0 ? decodeCommitEnvelope(replica.commitBytes(ids[this.init.sim.below(ids.length)]!)!) : undefined;
    const teammates = [...replica.members().keys()].filter((m) => m !== replica.meHex).map(fromHex);
    if (teammates.length === 0) return false;
    const frames = junkFrames({ sim: this.init.sim, bytes: this.bytes, me: replica.me, topics, epoch, sample, heads: replica.heads(), teammates });
    for (let n = 1 + this.init.sim.below(3); n > 0; n--) void sendJunk(this.init.peer.transport, this.init.sim.pick(targets), topics, frames);
    return true;
  }

  /** Brokers carry every topic a connection subscribes to into their mesh, each with a sync session per peer broker. */
  private topicFlood(replica: ShareReplica): boolean {
    const frames = [topicFlood(this.bytes), topicFlood(this.bytes)];
    const topics = replica.topicsNewestFirst();
    for (const target of this.init.targets()) void sendJunk(this.init.peer.transport, target, topics, frames);
    return true;
  }

  /**
   * A rotation (a writer may rotate, to exactly the members) whose boxes hold a wrong key
   * and topic secret for the current epoch; the same box to each member in a KEYS message
   * signed with the current topic key. A replica must never swap the key it holds for one
   * a box brings, nor take a key for a topic from a box that was not the topic's own.
   */
  private poisonKeys(replica: ShareReplica): boolean {
    const epoch = replica.currentEpoch();
    if (epoch?.topicSecret === undefined) return false;
    const wrong = replica.topicsNewestFirst().map((topic) => ({ topic, key: this.bytes(32), topicSecret: this.bytes(32) }));
    const boxes = [...replica.members().keys()].map((m) => ({ member: fromHex(m), keyBox: sealKeyBox(fromHex(m), replica.shareId, wrong, true, this.bytes) }));
    this.publish([this.commitOn(epoch, replica.heads(), [{ type: 'epoch', topic: generateSigningKeyPair(this.bytes).publicKey, boxes }])]);
    const frames = boxes
      .filter((b) => toHex(b.member) !== replica.meHex)
      .map((b) => encodeWire({ type: 'keys', topic: epoch.topic, member: b.member, boxes: [b.keyBox], signature: sign(epoch.topicSecret!, keysSignedBytes(b.member, [b.keyBox])) }));
    const topics = replica.topicsNewestFirst();
    for (const target of this.init.targets()) void sendJunk(this.init.peer.transport, target, topics, frames);
    return true;
  }

  // ---------------------------------------------------------------- crafting

  private newTwin(replica: ShareReplica): ShareReplica {
    return new ShareReplica({ shareId: replica.shareId, me: this.init.peer.keys, keys: replica.heldEpochs(), random: this.bytes });
  }

  /** Feeds `twin` the node's commits it lacks (each with probability `share`, in causal order). */
  private sync(twin: ShareReplica, replica: ShareReplica, share: number): void {
    for (const id of replica.topological()) if (!twin.has(id) && (share >= 1 || this.init.sim.random() < share)) twin.receive(replica.commitBytes(id)!);
  }

  /** Types a new line at a line start of `path` on `replica`, and commits it there; undefined if it may not write. */
  private writeOn(replica: ShareReplica, path: string): CommitEnvelope[] | undefined {
    const file = replica.fileAt(path);
    if (file === undefined) return undefined;
    try {
      replica.edit(file, this.init.sim.pick(lineStarts(replica.text(file))), 0, this.init.mint(path));
      // The node's own edit is committed by its runtime; a twin commits here.
      return replica === this.init.peer.node?.replica ? [] : replica.flushInPieces();
    } catch (err) {
      if (err instanceof NotAllowedError) return undefined;
      throw err;
    }
  }

  /**
   * A text action inserting a new line at a line start of `path`, as the member's next
   * operation there: anchored to the characters around it now (which a backdated commit's
   * past may lack), or to nothing.
   */
  private craftInsert(replica: ShareReplica, path: string, anchored: boolean): Action | undefined {
    const file = replica.fileAt(path);
    if (file === undefined) return undefined;
    const doc = replica.document(file);
    const at = this.init.sim.pick(lineStarts(replica.text(file)));
    const op: InsertOp = {
      kind: 'insert',
      agent: replica.meAgent(),
      seq: doc.version().get(replica.meAgent()) ?? 0,
      originLeft: anchored ? doc.anchorAt(at, 'before').id : null,
      originRight: anchored ? doc.anchorAt(at, 'after').id : null,
      text: this.init.mint(path),
    };
    return { type: 'text', file, ops: encodeOps([op]) };
  }

  private commitOn(epoch: EpochKeys, deps: readonly CommitId[], actions: readonly Action[]): CommitEnvelope {
    return createCommit({ topic: { publicKey: epoch.topic, secretKey: epoch.topicSecret! }, epochKey: epoch.key, author: this.init.peer.keys, deps, payload: encodePayload(actions), random: this.bytes });
  }

  private publish(envs: readonly CommitEnvelope[]): void {
    const runtime = this.init.peer.runtime;
    if (runtime === undefined) return;
    for (const env of envs) void runtime.publishForeign(env.bytes).catch(() => undefined);
    this.published += envs.length;
  }
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}
