/**
 * One member's replica of a share: the commit DAG, the keys it holds, the access
 * state, the manifest and every text document. Sans-I/O: bytes in (`receive`), bytes
 * out (`flush` returns the commit to store durably, then send); the caller owns time,
 * storage and the network.
 *
 * Merging a received commit, in order: size limit; decode; replay check; topic
 * signature; wait for every dependency (bounded buffer, missing ids reported); topic
 * known and key held; decrypt; author signature; payload decode; access rules on the
 * commit's causal past; apply. A commit that fails the access rules still joins the
 * DAG (others may build on it) but has no effect: its inserted characters exist only
 * as deleted characters (so later edits can anchor to them) and nothing else of it is
 * applied. When a revocation arrives that voids commits already applied, every
 * document is recomputed from the DAG (a 'reset' change tells the editor to reload).
 */
import { concatBytes } from '../codec/bytes.js';
import { DecodeError } from '../codec/errors.js';
import { deriveKey, fromHex, generateSigningKeyPair, randomBytes, sign, toHex, verify, type RandomSource, type SigningKeyPair } from '../crypto/index.js';
import { createCommit, decodeCommitEnvelope, DEFAULT_MAX_COMMIT_BYTES, verifyTopicSignature, type CommitBody, type CommitEnvelope } from '../log/commit.js';
import { CommitRejectedError, type RejectReason } from '../log/errors.js';
import { CommitGraph } from '../log/graph.js';
import type { CommitId } from '../log/ids.js';
import { PendingBuffer, type PendingLimits } from '../log/pending.js';
import { AccessState, type AccessCommit } from './access.js';
import { sealKeyBox, topicHex, type EpochKeys } from './keys.js';
import { Manifest, type FileId, type ManifestEntry, type ManifestOp } from './manifest.js';
import { checkManifestOp, fileIdBeside, stampFileId } from './manifest-ops.js';
import { ProtectedPathError } from './paths.js';
import type { GitEdit } from './git-edit.js';
import { decodePayload, encodePayload, type Action } from './payload.js';
import { canAdminister, canWrite, type GrantableRole, type Role } from './roles.js';
import { ShareDocuments, type Hunk, type TextOp, type VersionVector } from './documents.js';
import { ForkedIds } from './forked-ids.js';
import { EpochKeyring } from './epoch-keyring.js';
import { AuthorChains } from './author-chains.js';
import { encodeStaged, splitStaged, type StagedAction } from './staged.js';
import { NotAllowedError, type BinaryVersion, type MergeResult, type ReceiveOutcome, type ReplicaChange } from './replica-types.js';

const GENESIS_DOMAIN = new TextEncoder().encode('weft/genesis/1');

export { NotAllowedError, type BinaryVersion, type MergeResult, type ReceiveOutcome, type ReplicaChange };

interface CommitRecord {
  readonly env: CommitEnvelope;
  readonly author: string;
  readonly actions: readonly Action[];
  readonly frontier: readonly CommitId[];
  effective: boolean;
  reason?: RejectReason;
}

export interface ReplicaInit {
  shareId: Uint8Array;
  me: SigningKeyPair;
  keys?: readonly EpochKeys[];
  random?: RandomSource;
  maxCommitBytes?: number;
  pending?: PendingLimits;
}

/** The pending buffer's pool for commits whose author cannot be checked yet. */
const STRANGER = 'stranger';
const EVICTED_LIMIT = 1024;
/** Commits kept until we hold their epoch's key (see `lockedOut`); the oldest go first (catch-up brings them again). */
const LOCKED_OUT_LIMIT = 1024;

function rememberEvicted(evicted: Set<CommitId>, id: CommitId): void {
  evicted.add(id);
  if (evicted.size > EVICTED_LIMIT) evicted.delete(evicted.values().next().value as CommitId);
}

/** The members an epoch announcement's boxes are sealed to, in hex (computed once: access changes replay the records). */
const recipientHexes = new WeakMap<Extract<Action, { type: 'epoch' }>, string[]>();
function recipientsOf(a: Extract<Action, { type: 'epoch' }>): string[] {
  let hexes = recipientHexes.get(a);
  if (hexes === undefined) recipientHexes.set(a, (hexes = a.boxes.map((b) => toHex(b.member))));
  return hexes;
}

/** Text author id used in the text CRDT: 16 hex chars of the member's public key. */
export function agentOf(publicKeyHex: string): string {
  return publicKeyHex.slice(0, 16);
}

export class ShareReplica {
  readonly shareId: Uint8Array;
  readonly me: SigningKeyPair;
  readonly meHex: string;
  private readonly random: RandomSource | undefined;
  private readonly maxCommitBytes: number;
  readonly graph = new CommitGraph();
  private readonly records = new Map<CommitId, CommitRecord>();
  private readonly rejected = new Map<CommitId, RejectReason>();
  /** The Git branch settings not superseded by a later one (see branch()). */
  private branches: Array<{ name: string; commit: string; at: CommitId }> = [];
  private readonly pending: PendingBuffer<CommitEnvelope>;
  /** The epoch keys we hold (epoch-keyring.ts). */
  private readonly keys: EpochKeyring;
  /** Each author's chain of commits, and the forks found in them (author-chains.ts). */
  private readonly chains = new AuthorChains(this.graph);
  /** currentEpoch()'s answer until the log, the keys or the verdicts change. */
  private currentEpochCache: { keys: EpochKeys | undefined } | undefined;
  /** keysOwed()'s answer until an access commit, an epoch, a handover or the keys we hold change (typing leaves it). */
  private owedCache: { owed: Array<{ member: string; epochs: EpochKeys[] }>; blocked: string[] } | undefined;
  /**
   * Who holds each epoch's keys (topic hex -> member hex): the members its announcement
   * sealed it to (effective or not: the boxes went out), the owner for the genesis, and
   * the members effective handovers gave it to.
   */
  private epochHolders = new Map<string, Set<string>>();
  /** Each member's effective grants: a grant seals the epochs in its causal past. */
  private grantsOf = new Map<string, CommitId[]>();
  /** Authors' commits evicted from the pending buffer, asked for again through wanted() (bounded). */
  private readonly evicted = new Set<CommitId>();
  /**
   * Commits on an epoch announced in their past whose key we do not hold (yet): a
   * rotation left us out, and a handover or a KEYS message brings the key later. They
   * are merged as soon as it comes (bounded, oldest dropped first).
   */
  private readonly lockedOut = new Map<CommitId, CommitEnvelope>();
  /** Waiting strangers' commits opened once we held their epoch's key (openStrangersNowKnown). */
  private readonly strangersTried = new WeakSet<CommitEnvelope>();
  /** Topics announced in the log: topic hex -> announcing commit. */
  /** Topics of effective epoch announcements (and the genesis), by announcing commit: what new commits may use. */
  private topics = new Map<string, CommitId>();
  /**
   * Every topic announced in the log, effective or not, by announcing commit: a commit is
   * checked against the announcements in its causal past only, so that an announcement
   * losing its effect later (its admin revoked concurrently) never makes the commits
   * honest writers made on it unknown on some replicas and known on others.
   */
  private readonly announced = new Map<string, CommitId>();
  private access: AccessState | undefined;
  private revocationPasts = new Map<CommitId, Set<CommitId>>();
  private manifest!: Manifest;
  private docs!: ShareDocuments;
  /** The commits applied to `docs` so far (their heads), and the last concurrent set worked out (takeApplied). */
  private applied!: { heads: Set<CommitId>; count: number; concurrent?: { after: CommitId; count: number; set: Set<CommitId> } };
  /** A forked author's ids, bound to the commit that carries them (forked-ids.ts). */
  private forkedIds!: ForkedIds;
  /**
   * Binary contents per file: a multi-value register. A new version replaces the ones in
   * its causal past; concurrent versions are all kept (no silent last-writer-wins), the
   * greatest commit id first, so every replica shows the same main version and the
   * same conflict copies.
   */
  private binaries!: Map<FileId, BinaryVersion[]>;
  private genesisTopic: string | undefined;
  private staged: StagedAction[] = [];
  /** The heads we held when a staged edit was typed: what its references meant (restoreStagedText). */
  private readonly stagedSeen = new WeakMap<StagedAction, readonly CommitId[]>();
  name = '';

  constructor(init: ReplicaInit) {
    this.shareId = init.shareId;
    this.me = init.me;
    this.meHex = toHex(init.me.publicKey);
    this.random = init.random;
    this.maxCommitBytes = init.maxCommitBytes ?? DEFAULT_MAX_COMMIT_BYTES;
    this.pending = new PendingBuffer(init.pending);
    this.keys = new EpochKeyring(init.me, init.shareId, init.keys ?? [], () => {
      this.currentEpochCache = undefined;
      this.owedCache = undefined;
    });
    this.resetState();
  }

  /** Creates a new share owned by `owner`. Returns the replica and the genesis commit (store it, then send it). */
  static create(name: string, owner: SigningKeyPair, random?: RandomSource): { replica: ShareReplica; shareKey: SigningKeyPair; genesis: CommitEnvelope } {
    const shareKey = generateSigningKeyPair(random);
    const topic = generateSigningKeyPair(random);
    const epoch: EpochKeys = { topic: topic.publicKey, key: randomBytes(32, random), topicSecret: topic.secretKey };
    const replica = new ShareReplica({ shareId: shareKey.publicKey, me: owner, keys: [epoch], random });
    const certificate = sign(shareKey.secretKey, concatBytes([GENESIS_DOMAIN, owner.publicKey, topic.publicKey]));
    const keyBox = sealKeyBox(owner.publicKey, shareKey.publicKey, [epoch], true, random);
    replica.staged = [{ type: 'genesis', name, owner: owner.publicKey, topic: topic.publicKey, certificate, keyBox }];
    const genesis = replica.flushWith(epoch, [])!;
    return { replica, shareKey, genesis };
  }

  // ---------------------------------------------------------------- state views

  heads(): CommitId[] {
    return this.graph.heads();
  }
  has(id: CommitId): boolean {
    return this.graph.has(id);
  }
  deps(id: CommitId): readonly CommitId[] {
    return this.graph.deps(id);
  }
  topological(): readonly CommitId[] {
    return this.graph.topological();
  }
  /** SyncReplica: merge a commit received during catch-up. */
  merge(bytes: Uint8Array): void {
    this.receive(bytes);
  }
  commitBytes(id: CommitId): Uint8Array | undefined {
    return this.records.get(id)?.env.bytes;
  }
  /** Ids still wanted from peers (dependencies of buffered commits). */
  wanted(): CommitId[] {
    const ids = this.pending.wanted();
    for (const id of this.evicted) if (!this.graph.has(id) && !this.pending.has(id)) ids.push(id);
    return ids;
  }

  /**
   * A commit about to wait for its dependencies, opened if we can: its topic is one of
   * this share's and we hold the key (decrypted, the author signature verified). The
   * pending buffer gives each author a fair share; one pool holds all commits we cannot
   * check yet (a topic announced by a commit still on its way, or anyone's topic key of
   * their own making). A commit on a known topic that does not open or verify is refused
   * here, unbuffered. Keys sealed to us in it are opened at once: a handover of a key we
   * lack comes in a commit that follows the very commits that key opens.
   *
   * A commit on an epoch whose announcement is still on its way is opened too when a box
   * sealed to us brought its key (the announcement's own box, opened while it waits): an
   * admin's new grant of us on that epoch may hold the key that the very commits the
   * announcement waits for need (a rotation that left us out, by an admin whose
   * revocation of us lost). If it does not open, it waits in the strangers' pool.
   */
  private openWaiting(env: CommitEnvelope): string {
    const body = this.openAndTakeBoxes(env, this.announced.has(topicHex(env.topic)));
    return body === undefined ? STRANGER : `author:${toHex(body.author)}`;
  }

  /**
   * Opens a waiting commit with the epoch key we hold and takes the boxes sealed to us in
   * it. Undefined when we hold no key for its epoch, or when the key does not open it and
   * `mustOpen` is false (a key we hold for an epoch not announced yet may be a stranger's
   * made-up one); with `mustOpen`, a commit the key does not open is rejected.
   */
  private openAndTakeBoxes(env: CommitEnvelope, mustOpen: boolean): CommitBody | undefined {
    const th = topicHex(env.topic);
    const keys = this.keys.get(th);
    if (keys === undefined) return undefined;
    let body: CommitBody;
    try {
      body = this.keys.openCommit(env, th, keys);
    } catch (err) {
      if (!mustOpen && err instanceof CommitRejectedError) return undefined;
      throw err;
    }
    this.openBoxesSealedToUs(body.payload);
    return body;
  }

  /**
   * Opens the boxes for us in a payload (whatever its verdict will be, as applyRecord does
   * for rotations): a handover, a rotation, or a new grant of us, which seals every epoch
   * its admin holds and so follows commits we could not open.
   */
  private openBoxesSealedToUs(payload: Uint8Array): void {
    let actions: Action[];
    try {
      actions = decodePayload(payload);
    } catch {
      return; // refused when it is merged
    }
    for (const a of actions) {
      if ((a.type === 'handover' || a.type === 'grant') && toHex(a.member) === this.meHex) this.keys.takeBox(a.keyBox);
      else if (a.type === 'epoch') for (const b of a.boxes) if (toHex(b.member) === this.meHex) this.keys.takeBox(b.keyBox);
    }
  }
  rejection(id: CommitId): RejectReason | undefined {
    return this.rejected.get(id) ?? this.records.get(id)?.reason;
  }
  /** Current members and roles. The map is shared: do not modify it. */
  members(): ReadonlyMap<string, { role: Role; name: string }> {
    return this.access?.members() ?? new Map();
  }
  myRole(): Role | undefined {
    return this.members().get(this.meHex)?.role;
  }
  /** The name a member (hex key) has or had in this share (a revoked member keeps its name here), else its key's first characters. */
  memberName(member: string): string {
    return this.access?.nameOf(member) || member.slice(0, 12);
  }
  /** Who revoked this member (names), when a revocation is why it is no member any more; undefined otherwise. */
  revokedBy(): string[] | undefined {
    if (this.myRole() !== undefined || !this.access) return undefined;
    const revocations = this.access.revocationsOf(this.meHex);
    if (revocations.length === 0) return undefined;
    return [...new Set(revocations.map((r) => this.memberName(r.author)))];
  }
  files(): ManifestEntry[] {
    return this.manifest.view();
  }
  fileAt(path: string): FileId | undefined {
    return this.manifest.fileAt(path);
  }
  pathOf(file: FileId): string | undefined {
    return this.manifest.pathOf(file);
  }
  /**
   * Who deleted `file` lately: the authors of its latest deletes, by the names this share
   * knows (for an entry still shown: deletes that a concurrent edit overrode).
   */
  deletersOf(file: FileId): Array<{ readonly commit: CommitId; readonly name: string; readonly mine: boolean }> {
    return this.manifest.deletesOf(file).map((commit) => {
      const author = this.records.get(commit)?.author;
      return { commit, name: author ? this.memberName(author) : 'a teammate', mine: author === this.meHex };
    });
  }
  text(file: FileId): string {
    return this.docs.text(file);
  }
  /** The version of a file's text, for `textAt` and `editAt` later. */
  versionOf(file: FileId): VersionVector {
    return this.docs.versionOf(file);
  }
  /** The newest earlier version of a file whose text was `text`, if any (a file found on disk may be an older copy). */
  findVersionWithText(file: FileId, text: string): VersionVector | undefined {
    return this.docs.findVersionWithText(file, text);
  }

  /** The authors (text agents) of the characters in `[from, to)` of a file's text at `version`. */
  authorsAt(file: FileId, version: VersionVector, from: number, to: number): Set<string> {
    return this.docs.authorsAt(file, version, from, to);
  }

  /** A file's text as it was at `version` (one `versionOf` gave). */
  textAt(file: FileId, version: VersionVector): string {
    return this.docs.textAt(file, version);
  }
  /** Our author id in the text documents. */
  meAgent(): string {
    return agentOf(this.meHex);
  }
  document(file: FileId) {
    return this.docs.get(file);
  }
  /** The versions of a binary file, main version first; more than one = concurrent changes. */
  binaryVersions(file: FileId): readonly BinaryVersion[] {
    return this.binaries.get(file) ?? [];
  }

  /**
   * The share's convergence secret for encrypted chunks: derived from the first epoch
   * key, which every member holds, so equal chunks deduplicate within the share, and
   * nobody outside it can confirm a guessed file.
   */
  convergenceSecret(): Uint8Array | undefined {
    const first = this.genesisTopic ? this.keys.get(this.genesisTopic) : undefined;
    return first ? deriveKey(first.key, 'weft/convergence/1') : undefined;
  }

  /** Every topic this share has announced, the current epoch's first: what to subscribe to. */
  topicsNewestFirst(): Uint8Array[] {
    const current = this.currentEpoch() ?? this.currentReadableEpoch();
    // Every announced topic, also one whose announcement lost its effect: commits honest
    // writers made on it still travel there.
    const all = [...this.announced.keys()].map((h) => fromHex(h));
    if (!current) return all;
    const ch = topicHex(current.topic);
    return [current.topic, ...all.filter((t) => topicHex(t) !== ch)];
  }

  private currentReadableEpoch(): EpochKeys | undefined {
    return this.latestEpoch(() => true);
  }

  /** The latest announced epoch whose keys pass `usable` (causally last; concurrent ones: greatest id). */
  private latestEpoch(usable: (keys: EpochKeys) => boolean): EpochKeys | undefined {
    let best: { id: CommitId; keys: EpochKeys } | undefined;
    for (const [th, id] of this.topics) {
      const keys = this.keys.get(th);
      if (!keys || !usable(keys)) continue;
      if (!best || this.graph.isAncestor(best.id, id) || (!this.graph.isAncestor(id, best.id) && id > best.id)) best = { id, keys };
    }
    return best?.keys;
  }

  /** How many commits we hold that wait for an epoch's key we lack (a handover or a new grant brings it). */
  lockedOutCount(): number {
    return this.lockedOut.size;
  }

  /** Every epoch whose keys we hold (for sealing to a new member). */
  heldEpochs(): EpochKeys[] {
    return this.keys.all();
  }

  /**
   * The sealed key boxes addressed to `member` in this log (its grants and every later
   * rotation that included it): what a joiner needs to read the share. Only the member
   * can open them, so any replica may hand them out.
   */
  keyBoxesFor(member: Uint8Array): Uint8Array[] {
    const hex = toHex(member);
    const out: Uint8Array[] = [];
    for (const id of this.graph.topological()) {
      const rec = this.records.get(id)!;
      if (!rec.effective) continue;
      for (const a of rec.actions) {
        if ((a.type === 'grant' || a.type === 'handover') && toHex(a.member) === hex) out.push(a.keyBox);
        else if (a.type === 'genesis' && toHex(a.owner) === hex) out.push(a.keyBox);
        else if (a.type === 'epoch') for (const b of a.boxes) if (toHex(b.member) === hex) out.push(b.keyBox);
      }
    }
    return out;
  }

  /**
   * Epoch keys we hold that current members lack: an announcement sealed each epoch to
   * the members its author knew of, so a rotation whose author saw a member revoked by a
   * revocation that later lost its effect left that member out, and so did a rotation
   * concurrent with the member's grant (a grant seals only the epochs in its causal
   * past). Every epoch announced in the log counts, effective or not: honest writers may
   * have written on it before its announcement lost its effect.
   */
  keysOwed(): ReadonlyArray<{ member: string; epochs: EpochKeys[] }> {
    this.owedCache ??= this.findKeysOwed();
    return this.owedCache.owed;
  }

  /**
   * Current members who lack epoch keys that no handover may give them (someone tried to
   * revoke them, and that attempt may still win: see findKeysOwed). An admin who grants
   * them again (the grant seals every epoch it holds) lets them read everything.
   */
  membersLackingKeys(): readonly string[] {
    this.owedCache ??= this.findKeysOwed();
    return this.owedCache.blocked;
  }

  private findKeysOwed(): { owed: Array<{ member: string; epochs: EpochKeys[] }>; blocked: string[] } {
    const out: Array<{ member: string; epochs: EpochKeys[] }> = [];
    const blocked: string[] = [];
    for (const [member] of this.members()) {
      if (member === this.meHex) continue;
      const grants = this.grantsOf.get(member) ?? [];
      // Never to a member someone tried to revoke since its latest grant, unless that
      // attempt is void whatever else arrives: a revocation void in our view may win once
      // more commits come, and a writer holding it effective may be writing on the very
      // epoch we would hand over.
      const attempts = this.access!.revocationAttemptsOf(member).filter((r) => !this.access!.voidForGood(r.id) && !grants.some((g) => this.graph.isAncestor(r.id, g)));
      const epochs: EpochKeys[] = [];
      for (const [th, announcer] of this.announced) {
        const keys = this.keys.get(th);
        if (keys === undefined || this.epochHolders.get(th)?.has(member)) continue;
        if (grants.some((g) => this.graph.isAncestor(announcer, g))) continue;
        epochs.push(keys);
      }
      if (epochs.length === 0) continue;
      if (attempts.length > 0) blocked.push(member);
      else out.push({ member, epochs });
    }
    return { owed: out, blocked };
  }

  /**
   * Stages a handover of every key a current member lacks and we hold (see keysOwed).
   * Returns how many members it is for. Writers and admins only.
   */
  handOverKeys(): number {
    if (!canWrite(this.myRole())) return 0;
    const owed = this.keysOwed();
    const members = this.members();
    for (const { member, epochs } of owed) {
      const pk = fromHex(member);
      const withSecrets = members.get(member)?.role !== 'reader';
      this.staged.push({ type: 'handover', member: pk, topics: epochs.map((e) => e.topic), keyBox: sealKeyBox(pk, this.shareId, epochs, withSecrets, this.random) });
    }
    return owed.length;
  }

  /**
   * Opens key boxes sealed to us (from `keyBoxesFor` on another replica), and merges the
   * commits that waited for those keys: what they changed is in the outcome.
   */
  addKeys(boxes: readonly Uint8Array[]): ReceiveOutcome {
    this.currentEpochCache = undefined;
    for (const b of boxes) this.keys.takeBox(b);
    const out: ReceiveOutcome = { results: [], changes: [] };
    this.mergeUnlocked(out);
    return out;
  }

  // ---------------------------------------------------------------- receiving

  receive(bytes: Uint8Array): ReceiveOutcome {
    const out: ReceiveOutcome = { results: [], changes: [] };
    let env: CommitEnvelope;
    try {
      env = decodeCommitEnvelope(bytes, this.maxCommitBytes);
    } catch (err) {
      const e = err as DecodeError;
      out.results.push({ status: 'rejected', reason: e.code === 'too-large' ? 'too-large' : 'malformed', detail: e.message });
      return out;
    }
    if (this.graph.has(env.id) || this.pending.has(env.id)) {
      out.results.push({ status: 'duplicate', id: env.id });
      return out;
    }
    const earlier = this.rejected.get(env.id);
    // A commit we could not open is tried again once we hold its epoch's key (a handover
    // or a KEYS message can bring it after the commit came).
    if (earlier === 'undecryptable' && this.keys.has(topicHex(env.topic))) this.rejected.delete(env.id);
    else if (earlier) {
      out.results.push({ status: 'rejected', id: env.id, reason: earlier, detail: 'rejected before' });
      return out;
    }
    if (!verifyTopicSignature(env)) {
      this.rejected.set(env.id, 'bad-topic-signature');
      out.results.push({ status: 'rejected', id: env.id, reason: 'bad-topic-signature', detail: 'the topic signature does not verify' });
      return out;
    }
    const missing = env.deps.filter((d) => !this.graph.has(d));
    if (missing.length > 0) {
      let source: string;
      try {
        source = this.openWaiting(env);
      } catch (err) {
        if (!(err instanceof CommitRejectedError)) throw err;
        this.rejected.set(env.id, err.reason);
        out.results.push({ status: 'rejected', id: env.id, reason: err.reason, detail: err.detail });
        return out;
      }
      let heldItself = true;
      for (const ev of this.pending.hold(env.id, missing, env, env.bytes.length, source)) {
        if (ev.id === env.id) heldItself = false;
        // An author's commit pushed out to make room is asked for again (wanted()); a
        // stranger's is not: it comes back by catch-up if it was ever the share's.
        if (ev.source !== STRANGER) rememberEvicted(this.evicted, ev.id);
        out.results.push({ status: 'rejected', id: ev.id, reason: 'missing-dependency', detail: 'evicted from the pending buffer while waiting for dependencies' });
      }
      if (heldItself) {
        this.evicted.delete(env.id);
        out.results.push({ status: 'pending', id: env.id, missing });
      }
      this.mergeUnlocked(out);
      return out;
    }
    this.evicted.delete(env.id);
    this.mergeWithWaiting([env], out);
    this.mergeUnlocked(out);
    return out;
  }

  /** Merges `ready` (dependencies present) and every buffered commit that then has its dependencies. */
  private mergeWithWaiting(ready: CommitEnvelope[], out: ReceiveOutcome): void {
    const queue = [...ready];
    while (queue.length) {
      const next = queue.shift()!;
      out.results.push(this.mergeReady(next, out.changes));
      if (this.graph.has(next.id)) for (const r of this.pending.resolve(next.id)) queue.push(r.item);
    }
  }

  /** Merges the locked-out commits whose keys we now hold (until no new key opens). */
  private mergeUnlocked(out: ReceiveOutcome): void {
    while (this.keys.takeNews()) {
      this.openStrangersNowKnown();
      const unlocked = [...this.lockedOut.values()].filter((e) => this.keys.has(topicHex(e.topic)));
      for (const e of unlocked) {
        this.lockedOut.delete(e.id);
        this.rejected.delete(e.id);
      }
      this.mergeWithWaiting(unlocked, out);
    }
  }

  /**
   * Opens the boxes sealed to us in waiting commits that came before we held their
   * epoch's key (in the strangers' pool): a grant of us on an epoch whose announcement
   * came later may hold the key the commits before it wait for. Each is tried once.
   */
  private openStrangersNowKnown(): void {
    for (const env of this.pending.itemsOf(STRANGER)) {
      if (!this.keys.has(topicHex(env.topic)) || this.strangersTried.has(env)) continue;
      this.strangersTried.add(env);
      this.openAndTakeBoxes(env, false);
    }
  }

  /** Merges a commit whose dependencies are all present. */
  private mergeReady(env: CommitEnvelope, changes: ReplicaChange[]): MergeResult {
    try {
      const rec = this.verifyAndDecode(env);
      this.integrate(rec, changes);
      return rec.effective ? { status: 'merged', id: env.id, effective: true } : { status: 'merged', id: env.id, effective: false, reason: rec.reason!, author: rec.author };
    } catch (err) {
      if (err instanceof CommitRejectedError) {
        this.rejected.set(env.id, err.reason);
        if (err.reason === 'undecryptable') this.lockOut(env);
        return { status: 'rejected', id: env.id, reason: err.reason, detail: err.detail, ...(err.author ? { author: err.author } : {}) };
      }
      throw err;
    }
  }

  private verifyAndDecode(env: CommitEnvelope): CommitRecord {
    const th = topicHex(env.topic);
    const genesisCandidate = env.deps.length === 0;
    if (!genesisCandidate && !this.announcedBefore(th, env.deps)) throw new CommitRejectedError('unknown-topic', 'the topic was never announced in this commit\'s past', env.id);
    const keys = this.keys.get(th);
    if (!keys) throw new CommitRejectedError('undecryptable', 'we hold no key for this epoch', env.id);
    const body = this.keys.openCommit(env, th, keys);
    const author = toHex(body.author);
    let actions: Action[];
    try {
      actions = decodePayload(body.payload);
    } catch (err) {
      if (err instanceof ProtectedPathError) throw new CommitRejectedError('protected-path', `"${err.path}" lies inside Git's or Weft's own folder, which a share never holds`, env.id, author);
      throw new CommitRejectedError('invalid-payload', (err as Error).message, env.id, author);
    }
    if (genesisCandidate) this.checkGenesis(env, author, actions);
    else if (actions.some((a) => a.type === 'genesis')) throw new CommitRejectedError('invalid-payload', 'genesis action outside the first commit', env.id);
    return { env, author, actions, frontier: this.frontierOf(env.deps), effective: false };
  }

  /** Was topic `th` announced by one of `deps` or an ancestor of them? */
  private announcedBefore(th: string, deps: readonly CommitId[]): boolean {
    const announcer = this.announced.get(th);
    return announcer !== undefined && deps.some((d) => d === announcer || this.graph.isAncestor(announcer, d));
  }

  private checkGenesis(env: CommitEnvelope, author: string, actions: Action[]): void {
    const g = actions[0];
    if (this.graph.size > 0 || actions.length !== 1 || g?.type !== 'genesis') throw new CommitRejectedError('invalid-payload', 'a commit without dependencies must be the share genesis', env.id);
    if (toHex(g.owner) !== author || toHex(g.topic) !== topicHex(env.topic)) throw new CommitRejectedError('invalid-payload', 'genesis owner or topic mismatch', env.id);
    if (!verify(this.shareId, concatBytes([GENESIS_DOMAIN, g.owner, g.topic]), g.certificate)) {
      throw new CommitRejectedError('bad-author-signature', 'the genesis is not certified by the share key', env.id);
    }
  }

  private frontierOf(deps: readonly CommitId[]): readonly CommitId[] {
    if (deps.length === 0) return [];
    let first: readonly CommitId[] | undefined;
    let same = true;
    const cands: CommitId[] = [];
    for (const d of deps) {
      const r = this.records.get(d)!;
      const contrib = this.access?.has(d) ? [d] : r.frontier;
      if (first === undefined) first = contrib;
      else if (contrib !== first) same = false;
      cands.push(...contrib);
    }
    if (same) return first!;
    return this.access ? this.access.maximal(cands) : [];
  }

  /** Adds a verified commit to the DAG and applies it if the access rules allow. */
  private integrate(rec: CommitRecord, changes: ReplicaChange[]): void {
    this.currentEpochCache = undefined;
    if (rec.actions.some((a) => a.type === 'grant' || a.type === 'revoke' || a.type === 'epoch' || a.type === 'handover' || a.type === 'genesis')) this.owedCache = undefined;
    const id = rec.env.id;
    this.graph.add(id, rec.env.deps);
    this.records.set(id, rec);
    const accessCommit = this.accessCommitOf(rec);
    let rebuild = this.chains.follow(rec.author, id);
    if (rebuild) changes.push({ type: 'members' });
    if (accessCommit) {
      if (accessCommit.genesis) {
        const g = rec.actions[0] as Extract<Action, { type: 'genesis' }>;
        this.access = new AccessState(rec.author);
        this.name = g.name;
      }
      rebuild = this.access!.add(accessCommit) || rebuild;
      for (const r of accessCommit.revokes) rebuild = this.revocationVoidsApplied(id, r) || rebuild;
      changes.push({ type: 'members' });
    }
    if (this.access && this.chains.voided.size > 0 && this.access.voidForks(this.chains.voided)) {
      rebuild = true;
      changes.push({ type: 'members' });
    }
    if (rebuild) {
      this.rebuild();
      changes.push({ type: 'reset' });
      return;
    }
    this.applyRecord(rec, changes);
  }

  /** Authors who signed two concurrent commits, with the two commits (the proof anyone with the log can check). */
  forks(): ReadonlyMap<string, readonly [CommitId, CommitId]> {
    return this.chains.forks();
  }

  private accessCommitOf(rec: CommitRecord): AccessCommit | undefined {
    const grants: Array<{ member: string; role: GrantableRole; name: string }> = [];
    const revokes: string[] = [];
    let genesis = false;
    for (const a of rec.actions) {
      if (a.type === 'grant') grants.push({ member: toHex(a.member), role: a.role, name: a.name });
      else if (a.type === 'revoke') revokes.push(toHex(a.member));
      else if (a.type === 'genesis') genesis = true;
    }
    if (!genesis && grants.length === 0 && revokes.length === 0) return undefined;
    return { id: rec.env.id, author: rec.author, parents: rec.frontier, grants, revokes, genesis };
  }

  /** Did the revocation `rid` of `member` void commits already applied (concurrent ones)? */
  private revocationVoidsApplied(rid: CommitId, member: string): boolean {
    if (!this.access?.isEffective(rid)) return false;
    const past = this.pastOf(rid);
    for (const [id, r] of this.records) if (r.author === member && r.effective && !past.has(id) && id !== rid) return true;
    return false;
  }

  private pastOf(id: CommitId): Set<CommitId> {
    let p = this.revocationPasts.get(id);
    if (!p) this.revocationPasts.set(id, (p = this.graph.ancestorsOf(this.graph.deps(id))));
    return p;
  }

  /** The access verdict for a commit, given the current access state. */
  private verdict(rec: CommitRecord): { ok: boolean; reason?: RejectReason } {
    const byAccess = this.accessVerdict(rec);
    // A fork voids its author's commits, access commits too (AccessState.voidForks).
    // (The owner's access commits stay, as AccessState keeps them: the owner is never revoked.)
    if (this.chains.voided.has(rec.env.id)) {
      // 'forked' goes before any other reason: the fork is a fact of the commits held, while
      // a revocation that voids the commit too may have come before or after it.
      const forkedOut = this.accessCommitOf(rec) === undefined || rec.author !== this.access!.owner;
      if (forkedOut) return { ok: false, reason: 'forked' };
    }
    return byAccess;
  }

  private accessVerdict(rec: CommitRecord): { ok: boolean; reason?: RejectReason } {
    const access = this.access!;
    if (this.accessCommitOf(rec)) return access.isEffective(rec.env.id) ? { ok: true } : { ok: false, reason: 'not-allowed' };
    const role = access.roleIn(rec.author, access.closureOfFrontier(rec.frontier));
    if (role === undefined) {
      return { ok: false, reason: access.revocationsOf(rec.author).length ? 'revoked' : 'not-a-member' };
    }
    if (!canWrite(role) && rec.actions.some((a) => a.type !== 'epoch')) return { ok: false, reason: 'not-allowed' };
    const closure = access.closureOfFrontier(rec.frontier);
    if (rec.actions.some((a) => a.type === 'branch') && !canAdminister(role)) return { ok: false, reason: 'not-allowed' };
    const handedTo = rec.actions.flatMap((a) => (a.type === 'handover' ? [toHex(a.member)] : []));
    if (handedTo.length > 0) {
      const members = access.membersIn(closure);
      if (!handedTo.every((m) => members.has(m))) return { ok: false, reason: 'not-allowed' };
    }
    // Admins rotate at will; a writer only to exactly the members of its causal past (a
    // rotation away from an epoch that former members hold: see currentEpochLeaksTo).
    const epochs = rec.actions.filter((a): a is Extract<Action, { type: 'epoch' }> => a.type === 'epoch');
    if (epochs.length > 0 && !canAdminister(role)) {
      const members = access.membersIn(closure);
      const exact = (e: Extract<Action, { type: 'epoch' }>): boolean => e.boxes.length === members.size && e.boxes.every((b) => members.has(toHex(b.member)));
      if (!canWrite(role) || !epochs.every(exact)) return { ok: false, reason: 'not-allowed' };
    }
    for (const r of access.revocationsOf(rec.author)) {
      if (closure.has(r.id)) continue;
      if (!this.pastOf(r.id).has(rec.env.id)) return { ok: false, reason: 'revoked' };
    }
    return { ok: true };
  }

  /**
   * Notes `rec` as applied, and returns which of the commits applied before it its text may
   * refer to: those in its causal past (and itself), not the concurrent ones (worked out
   * only when asked, and then only when something concurrent was applied: see
   * CommitGraph.concurrentWith). Commits are applied in a topological order, so nothing
   * applied before is a descendant.
   */
  private takeApplied(rec: CommitRecord): (commit: CommitId) => boolean {
    const id = rec.env.id;
    const deps = rec.env.deps;
    const before = this.applied;
    const heads = [...before.heads];
    let concurrent: Set<CommitId> | undefined;
    if (heads.every((h) => deps.includes(h))) concurrent = new Set();
    else if (before.concurrent && deps.length === 1 && deps[0] === before.concurrent.after && before.count === before.concurrent.count) concurrent = before.concurrent.set;
    for (const d of deps) before.heads.delete(d);
    before.heads.add(id);
    const count = ++before.count;
    return (commit) => {
      if (commit === id) return true;
      if (concurrent === undefined) concurrent = this.graph.concurrentWith(id, heads);
      // The next commit, if it builds on this one alone, has the same concurrent ones.
      if (before.count === count) before.concurrent = { after: id, count, set: concurrent };
      return !concurrent.has(commit);
    };
  }

  private applyRecord(rec: CommitRecord, changes: ReplicaChange[]): void {
    const v = this.verdict(rec);
    rec.effective = v.ok;
    // A commit that regains its effect in a rebuild loses its old reason: every replica
    // holding the same commits gives the same rejection().
    if (v.reason) rec.reason = v.reason;
    else delete rec.reason;
    const agent = agentOf(rec.author);
    const id = rec.env.id;
    const inPast = this.takeApplied(rec);
    for (const a of rec.actions) {
      switch (a.type) {
        case 'text': {
          const c = this.docs.applyEncoded(a.file, a.ops, agent, v.ok, { commit: id, inPast, bind: (ops) => this.forkedIds.bind(a.file, id, inPast, ops) });
          if (v.ok) {
            if (c.length) changes.push({ type: 'text', file: a.file, changes: c });
            try {
              for (const mc of this.manifest.noteActivity(a.file, rec.env.id)) changes.push({ type: 'manifest', change: mc });
            } catch {
              // An edit of a file never created in the commit's causal past: the text stays, the manifest ignores it.
            }
          }
          break;
        }
        case 'gitEdit': {
          const c = this.docs.applyGitEdit(a.edit, v.ok, id);
          if (v.ok) {
            if (c.length) changes.push({ type: 'text', file: a.edit.file, changes: c });
            try {
              for (const mc of this.manifest.noteActivity(a.edit.file, rec.env.id)) changes.push({ type: 'manifest', change: mc });
            } catch {
              // A change of a file never created in the commit's causal past: the manifest ignores it.
            }
          }
          break;
        }
        case 'branch':
          if (v.ok) {
            // A register of the latest settings: those in this one's causal past go; of concurrent ones the greatest commit id wins.
            this.branches = [...this.branches.filter((b) => !this.graph.isAncestor(b.at, rec.env.id)), { name: a.name, commit: a.commit, at: rec.env.id }];
            changes.push({ type: 'members' });
          }
          break;
        case 'manifest':
          if (v.ok) {
            try {
              for (const mc of this.manifest.apply(a.op, rec.env.id)) changes.push({ type: 'manifest', change: mc });
            } catch {
              // A manifest op that does not fit (e.g. renames an unknown file) has no effect.
            }
          }
          break;
        case 'genesis':
          this.topics.set(topicHex(a.topic), rec.env.id);
          this.epochHolders.set(topicHex(a.topic), new Set([toHex(a.owner)]));
          if (!this.announced.has(topicHex(a.topic))) this.announced.set(topicHex(a.topic), rec.env.id);
          this.genesisTopic = topicHex(a.topic);
          this.keys.takeBox(a.keyBox);
          break;
        case 'grant':
          if (v.ok && toHex(a.member) === this.meHex) this.keys.takeBox(a.keyBox);
          if (v.ok) this.grantsOf.set(toHex(a.member), [...(this.grantsOf.get(toHex(a.member)) ?? []), rec.env.id]);
          break;
        case 'handover':
          if (toHex(a.member) === this.meHex) this.keys.takeBox(a.keyBox); // whatever the verdict, as for epochs
          if (v.ok) for (const t of a.topics) this.holdersOf(topicHex(t)).add(toHex(a.member));
          break;
        case 'epoch':
          if (!this.announced.has(topicHex(a.topic))) this.announced.set(topicHex(a.topic), rec.env.id);
          // Keys sealed to us are opened whatever the verdict: reading what honest writers
          // wrote on an epoch must not depend on the order its announcement arrived in.
          {
            const holders = this.holdersOf(topicHex(a.topic));
            const recipients = recipientsOf(a);
            const announces = this.announced.get(topicHex(a.topic)) === rec.env.id;
            for (let i = 0; i < recipients.length; i++) {
              holders.add(recipients[i]!);
              if (recipients[i] !== this.meHex) continue;
              this.keys.takeBox(a.boxes[i]!.keyBox);
              if (announces) this.keys.takeAnnouncedBox(a.boxes[i]!.keyBox, topicHex(a.topic));
            }
          }
          if (v.ok) {
            this.topics.set(topicHex(a.topic), rec.env.id);
            this.currentEpochCache = undefined;
          }
          break;
        case 'revoke':
          break;
        case 'object':
          if (v.ok) {
            const kept = (this.binaries.get(a.file) ?? []).filter((b) => !this.graph.isAncestor(b.commit, rec.env.id) && b.commit !== rec.env.id);
            kept.push({ commit: rec.env.id, ref: a.ref });
            kept.sort((x, y) => (x.commit < y.commit ? 1 : x.commit > y.commit ? -1 : 0));
            this.binaries.set(a.file, kept);
            changes.push({ type: 'binary', file: a.file, versions: kept });
            try {
              for (const mc of this.manifest.noteActivity(a.file, rec.env.id)) changes.push({ type: 'manifest', change: mc });
            } catch {
              // Contents of a file never created in the commit's causal past: kept, not listed.
            }
          }
          break;
      }
    }
  }

  private lockOut(env: CommitEnvelope): void {
    this.lockedOut.set(env.id, env);
    if (this.lockedOut.size <= LOCKED_OUT_LIMIT) return;
    const oldest = this.lockedOut.keys().next().value as CommitId;
    this.lockedOut.delete(oldest);
    this.rejected.delete(oldest); // not refused for good: catch-up may bring it again
  }

  private holdersOf(th: string): Set<string> {
    let holders = this.epochHolders.get(th);
    if (!holders) this.epochHolders.set(th, (holders = new Set()));
    return holders;
  }

  private resetState(): void {
    this.currentEpochCache = undefined;
    this.branches = [];
    this.epochHolders = new Map();
    this.grantsOf = new Map();
    this.owedCache = undefined;
    this.topics = new Map();
    this.manifest = new Manifest(this.graph);
    this.docs = new ShareDocuments(agentOf(this.meHex));
    this.applied = { heads: new Set(), count: 0 };
    this.forkedIds = new ForkedIds(new Set([...this.chains.forks().keys()].map(agentOf)));
    this.binaries = new Map();
  }

  /**
   * Recomputes documents and manifest from the DAG with the current access verdicts, in
   * the canonical order: a forking author's two commits may carry the same operation ids,
   * and the one applied first keeps them, so that must not depend on arrival order.
   */
  private rebuild(): void {
    this.resetState();
    const ignored: ReplicaChange[] = [];
    for (const id of this.graph.canonicalOrder()) this.applyRecord(this.records.get(id)!, ignored);
    this.staged = this.staged.map((a) => (a.type === 'text' ? this.restoreStagedText(a) : a));
  }

  /**
   * Puts a staged edit back into the rebuilt text. Its references to a forked author's
   * ids are bound to the commits we held when we typed it (forked-ids.ts), and the edit
   * keeps them bound: the commit then names exactly the text we saw.
   */
  private restoreStagedText(action: Extract<StagedAction, { type: 'text' }>): StagedAction {
    const seen = this.stagedSeen.get(action) ?? [];
    const visible = (c: CommitId): boolean => seen.some((head) => head === c || this.graph.isAncestor(c, head));
    const { ops } = this.forkedIds.bind(action.file, undefined, visible, action.ops);
    this.docs.restoreLocal(action.file, ops);
    if (ops === action.ops) return action;
    const bound = { ...action, ops: [...ops] };
    this.stagedSeen.set(bound, seen);
    return bound;
  }

  // ---------------------------------------------------------------- local actions

  private requireWrite(): void {
    if (!canWrite(this.myRole())) throw new NotAllowedError('you have read-only access to this share');
  }
  private requireAdmin(): void {
    if (!canAdminister(this.myRole())) throw new NotAllowedError('only the owner and admins may change access');
  }

  /** A local text edit: applied at once, staged for the next commit. Returns the changes to mirror elsewhere (none: the editor made them). */
  edit(file: FileId, offset: number, deleteCount: number, insert: string): void {
    this.requireWrite();
    this.stageText(file, this.docs.localEdit(file, offset, deleteCount, insert));
  }

  /** Hunks of the current text (ascending, in its offsets), staged like `edit`. Returns the ops. */
  editHunks(file: FileId, hunks: readonly Hunk[]): TextOp[] {
    return this.editAt(file, this.versionOf(file), hunks);
  }

  /**
   * Hunks of the text at `version` (an earlier `versionOf`), made as our own new ops with
   * the origins of that version and merged with everything since, as if typed then:
   * a file changed on disk since the mirror last wrote it. Staged like `edit`; returns the ops.
   */
  editAt(file: FileId, version: VersionVector, hunks: readonly Hunk[]): TextOp[] {
    this.requireWrite();
    return this.stageText(file, this.docs.editAt(file, version, hunks));
  }

  private stageText(file: FileId, ops: TextOp[]): TextOp[] {
    if (ops.length === 0) return ops;
    const action: StagedAction = { type: 'text', file, ops };
    this.stagedSeen.set(action, this.graph.heads());
    this.staged.push(action);
    return ops;
  }

  /**
   * A new entry. Entries that want one path all stay; the manifest shows the smallest
   * FileId at the path and the others under conflict names. So a FileId starts with its
   * file's age: `createdAt` (ms, e.g. the file's modification time on disk) makes the
   * oldest file keep the path on every replica (a file that was on a member's disk first
   * is not pushed aside by one created later elsewhere). `beside`: another entry that
   * wants the path; the new id is drawn below it ('before': the new file keeps the path)
   * or above it ('after').
   */
  createFile(path: string, kind: 'text' | 'binary' | 'folder' = 'text', initialText = '', options: { createdAt?: number; beside?: { file: FileId; order: 'before' | 'after' } } = {}): FileId {
    this.requireWrite();
    const random = randomBytes(16, this.random);
    if (options.createdAt !== undefined) stampFileId(random, options.createdAt);
    const file = options.beside ? fileIdBeside(random, options.beside.file, options.beside.order) : (toHex(random) as FileId);
    this.stageManifest({ type: 'create', file, path, kind });
    if (initialText) this.edit(file, 0, 0, initialText);
    return file;
  }
  /** The Git branch this share follows (and the commit it was on when set), if an owner or admin set one. */
  branch(): { name: string; commit: string } | undefined {
    let best: { name: string; commit: string; at: CommitId } | undefined;
    for (const b of this.branches) if (!best || b.at > best.at) best = b;
    return best && { name: best.name, commit: best.commit };
  }

  /** Sets the Git branch the share follows (owner and admins). */
  setBranch(name: string, commit: string): void {
    this.requireAdmin();
    this.staged.push({ type: 'branch', name, commit });
  }

  /**
   * A change Git made to a text file (a pull, a checkout of another commit): `hunks` of
   * its text at `version`, made by every replica as the same operations (git-edit.ts), so
   * the same upstream change brought in by several members lands once.
   */
  gitEdit(edit: GitEdit): void {
    this.requireWrite();
    this.docs.applyGitEdit(edit, true);
    this.staged.push({ type: 'gitEdit', edit });
  }

  /** Sets a binary file's contents (an encoded ObjectRef of its encrypted chunks, stored first). */
  setBinary(file: FileId, ref: Uint8Array): void {
    this.requireWrite();
    this.staged.push({ type: 'object', file, ref });
  }

  renameFile(file: FileId, path: string): void {
    this.requireWrite();
    this.stageManifest({ type: 'rename', file, path });
  }
  deleteFile(file: FileId): void {
    this.requireWrite();
    this.stageManifest({ type: 'delete', file });
  }
  private stageManifest(op: ManifestOp): void {
    this.requireWrite();
    checkManifestOp(op); // refused now, not at flush: a bad path never reaches the staged commit
    this.staged.push({ type: 'manifest', op });
  }

  grant(member: Uint8Array, role: GrantableRole, name: string): void {
    this.requireAdmin();
    const keyBox = sealKeyBox(member, this.shareId, this.heldEpochs(), role !== 'reader', this.random);
    this.staged.push({ type: 'grant', member, role, name, keyBox });
  }

  /** Revokes a member and rotates to a new epoch sealed to everyone else. */
  revoke(member: Uint8Array): void {
    this.requireAdmin();
    const target = toHex(member);
    if (target === this.access!.owner) throw new NotAllowedError('the owner cannot be revoked');
    this.staged.push({ type: 'revoke', member }, this.rotation((m) => m !== target));
  }

  /** A new epoch, its keys sealed to the current members that `include` keeps. */
  private rotation(include: (member: string) => boolean): Extract<StagedAction, { type: 'epoch' }> {
    const topic = generateSigningKeyPair(this.random);
    const next: EpochKeys = { topic: topic.publicKey, key: randomBytes(32, this.random), topicSecret: topic.secretKey };
    const boxes: Array<{ member: Uint8Array; keyBox: Uint8Array }> = [];
    for (const [m, info] of this.members()) {
      if (!include(m)) continue;
      const pk = fromHex(m);
      boxes.push({ member: pk, keyBox: sealKeyBox(pk, this.shareId, [next], info.role !== 'reader', this.random) });
    }
    return { type: 'epoch', topic: topic.publicKey, boxes };
  }

  /**
   * Members who hold the current epoch's key and are members no more: concurrent
   * revocations each rotated to an epoch sealed to the members its author knew of, so
   * each new epoch still reaches the member the other one revoked.
   */
  currentEpochLeaksTo(): string[] {
    const current = this.currentEpoch();
    return current ? this.leaksOf(current) : [];
  }

  get stagedCount(): number {
    return this.staged.length;
  }

  /**
   * The epoch new commits use: the latest effective announcement we hold a writable key
   * for (ties: greatest id), preferring one that no former member holds: after two
   * concurrent revocations, each rotation still reaches the member the other revoked,
   * and a writer who is not an admin cannot rotate (an admin's next commit does).
   */
  currentEpoch(): EpochKeys | undefined {
    if (this.currentEpochCache === undefined) this.currentEpochCache = { keys: this.chooseEpoch() };
    return this.currentEpochCache.keys;
  }

  private chooseEpoch(): EpochKeys | undefined {
    const writable = [...this.topics].filter(([th]) => this.keys.get(th)?.topicSecret !== undefined);
    // The latest: announced by commits that no other writable announcement descends from.
    const latest = writable.filter(([, id]) => !writable.some(([, other]) => other !== id && this.graph.isAncestor(id, other)));
    latest.sort(([, a], [, b]) => (a < b ? 1 : a > b ? -1 : 0));
    const safe = ([th, id]: [string, CommitId]): boolean => this.leaksOf(this.keys.get(th)!).length === 0 && this.followsEveryRevocation(id);
    const chosen = latest.find(safe) ?? latest.find(([th]) => this.leaksOf(this.keys.get(th)!).length === 0) ?? latest[0];
    return chosen && this.keys.get(chosen[0]);
  }

  /**
   * Was the epoch announced by `announcer` made after every revocation effective in our
   * view (each in its causal past, or the announcer itself)? An epoch older than, or
   * concurrent with, a revocation may be handed to the revoked member by a writer who
   * has not seen that revocation yet; one made after it cannot (see keysOwed).
   */
  private followsEveryRevocation(announcer: CommitId): boolean {
    return this.access!.effectiveRevocations().every((r) => r.id === announcer || this.graph.isAncestor(r.id, announcer));
  }

  /** Is the current epoch one a writer may write on: no former member holds it, and it follows every revocation we hold? */
  private currentEpochIsSafe(): boolean {
    const current = this.currentEpoch();
    if (!current) return true;
    const announcer = this.topics.get(topicHex(current.topic));
    return this.leaksOf(current).length === 0 && (announcer === undefined || this.followsEveryRevocation(announcer));
  }

  /** Members no more who were sealed this epoch's key by its rotation. */
  private leaksOf(epoch: EpochKeys): string[] {
    const holders = this.epochHolders.get(topicHex(epoch.topic));
    if (holders === undefined) return [];
    const members = this.members();
    return [...holders].filter((m) => !members.has(m));
  }

  /** Builds the commit of everything staged, merges it locally, and returns it (store durably, then send). */
  flush(): CommitEnvelope | undefined {
    if (this.staged.length === 0) return undefined;
    const epoch = this.currentEpoch();
    if (!epoch) throw new NotAllowedError('no writable epoch key: you cannot write to this share');
    return this.flushWith(epoch, this.graph.heads());
  }

  /**
   * Everything staged, as as many commits as it takes to keep each under the limit (see
   * splitStaged), in order, each on top of the one before. A paste of any size commits.
   */
  flushInPieces(): CommitEnvelope[] {
    if (this.staged.length === 0) return [];
    const out: CommitEnvelope[] = [];
    // Before writing anything on an epoch that a former member holds, or one older than a
    // revocation we hold (see followsEveryRevocation), rotate again to the members that
    // remain (any writer may: only to exactly them). The rotation goes alone (it is
    // encrypted under the old epoch, and holds only boxes sealed to members).
    if (canWrite(this.myRole()) && !this.currentEpochIsSafe() && !this.staged.some((a) => a.type === 'epoch')) {
      const userActions = this.staged;
      this.staged = [this.rotation(() => true)];
      const rotation = this.flush();
      if (rotation) out.push(rotation);
      this.staged = userActions;
    }
    // Keys a current member lacks go with what we write (see keysOwed).
    if (!this.staged.some((a) => a.type === 'handover')) {
      const userActions = this.staged;
      this.staged = [];
      this.handOverKeys();
      this.staged.push(...userActions);
    }
    const groups = splitStaged(this.staged);
    for (let i = 0; i < groups.length; i++) {
      this.staged = groups[i]!;
      try {
        const env = this.flush();
        if (env) out.push(env);
      } catch (err) {
        this.staged = groups.slice(i).flat(); // nothing staged is dropped: a later flush tries again
        throw err;
      }
    }
    return out;
  }

  private flushWith(epoch: EpochKeys, deps: CommitId[]): CommitEnvelope | undefined {
    const payload = encodePayload(encodeStaged(this.staged, this.docs));
    this.staged = [];
    const env = createCommit({ topic: { publicKey: epoch.topic, secretKey: epoch.topicSecret! }, epochKey: epoch.key, author: this.me, deps, payload, random: this.random });
    if (env.bytes.length > this.maxCommitBytes) throw new RangeError(`commit of ${env.bytes.length} bytes exceeds the limit; flush more often`);
    const rec: CommitRecord = { env, author: this.meHex, actions: decodePayload(payload), frontier: this.frontierOf(env.deps), effective: false };
    // Our own text ops are already in the documents; re-applying them is a no-op.
    this.integrate(rec, []);
    return env;
  }
}
