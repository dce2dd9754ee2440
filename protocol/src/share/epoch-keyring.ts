/**
 * The epoch keys a member holds, and how it comes to hold them. A key box can come from
 * anyone holding our public key (a rotation whatever its verdict, a handover, a KEYS
 * message), so a box never simply replaces a key held: the box an epoch's own
 * announcement sealed to us does (its author made the key), and other keys a box brings
 * are kept as candidates, tried when the key held does not open a commit; a key held
 * that never opened a commit gives way to a candidate that does.
 */
import { bytesEqual, signingKeyPairFromSeed, toHex, type SigningKeyPair } from '../crypto/index.js';
import { openCommitBody, type CommitBody, type CommitEnvelope } from '../log/commit.js';
import { CommitRejectedError } from '../log/errors.js';
import { openKeyBox, topicHex, type EpochKeys } from './keys.js';

/** Key boxes remembered once opened: KEYS messages can come from anyone. */
const OPENED_BOXES_LIMIT = 4096;
/** Other keys kept per epoch (boxes with a different key than the one held: at most one can be right). */
const CANDIDATE_KEYS_PER_EPOCH = 4;

export class EpochKeyring {
  /** The key held for each epoch (topic hex). */
  private readonly held = new Map<string, EpochKeys>();
  /** Other content keys boxes brought for an epoch than the one held, tried in turn (openCommit). */
  private readonly candidates = new Map<string, EpochKeys[]>();
  /** Epochs whose key held has opened a commit, or came from the epoch's own announcement. */
  private readonly proven = new Set<string>();
  /** Key boxes opened so far (hex -> what they held), bounded. */
  private readonly openedBoxes = new Map<string, readonly EpochKeys[]>();
  /** A key or a candidate came since takeNews() last answered. */
  private news = false;

  /**
   * @param changed called whenever the key held for an epoch changes (what the replica
   *   worked out from the keys it holds is then stale).
   */
  constructor(
    private readonly me: SigningKeyPair,
    private readonly shareId: Uint8Array,
    initial: readonly EpochKeys[],
    private readonly changed: () => void,
  ) {
    for (const k of initial) this.held.set(topicHex(k.topic), k);
  }

  get(topic: string): EpochKeys | undefined {
    return this.held.get(topic);
  }

  has(topic: string): boolean {
    return this.held.has(topic);
  }

  /** Every epoch whose key we hold. */
  all(): EpochKeys[] {
    return [...this.held.values()];
  }

  /** Did a key (or a candidate) come since the last call? Commits locked out for want of a key are then worth trying again. */
  takeNews(): boolean {
    const news = this.news;
    this.news = false;
    return news;
  }

  /**
   * Takes the epochs of a box sealed to us. It never replaces a content key we hold: it
   * may only add the topic secret to it, when its content key is the same and the secret
   * is the topic's own (openBox refuses a topic secret that is not the topic's). Another
   * content key becomes a candidate.
   */
  takeBox(box: Uint8Array): void {
    for (const k of this.openBox(box)) {
      const h = topicHex(k.topic);
      const had = this.held.get(h);
      if (!had || (!had.topicSecret && k.topicSecret && bytesEqual(had.key, k.key))) {
        this.held.set(h, k);
        this.changed();
        this.news = true;
      } else if (!bytesEqual(had.key, k.key)) {
        this.keepCandidate(h, k);
      }
    }
  }

  /**
   * The key of epoch `topic` from the box its own announcement sealed to us: the epoch's
   * key as its author made it, which replaces a key another box brought first (a box in a
   * later rotation, a handover or a KEYS message can come from anyone who held the topic
   * secret, and a dishonest member's may hold a wrong key: a member away when the epoch
   * was announced may open that one first).
   */
  takeAnnouncedBox(box: Uint8Array, topic: string): void {
    const k = this.openBox(box).find((e) => topicHex(e.topic) === topic);
    const had = this.held.get(topic);
    if (!k || (had && bytesEqual(had.key, k.key))) return;
    if (had) this.keepCandidate(topic, had);
    this.held.set(topic, k.topicSecret || !had?.topicSecret ? k : { ...k, topicSecret: had.topicSecret });
    this.proven.add(topic);
    this.changed();
    this.news = true;
  }

  /**
   * Opens a commit with `keys` (the key held for its epoch), or else with a candidate key
   * another box brought. A key held that never opened a commit gives way to a candidate
   * that does (it becomes the key we write with): relayed boxes can come from a dishonest
   * member, and the first one opened is not to be trusted for that alone.
   */
  openCommit(env: CommitEnvelope, topic: string, keys: EpochKeys): CommitBody {
    try {
      const body = openCommitBody(env, keys.key);
      this.proven.add(topic);
      return body;
    } catch (err) {
      if (!(err instanceof CommitRejectedError)) throw err;
      for (const candidate of this.candidates.get(topic) ?? []) {
        let body: CommitBody;
        try {
          body = openCommitBody(env, candidate.key);
        } catch {
          continue;
        }
        if (!this.proven.has(topic)) {
          this.candidates.set(topic, [...(this.candidates.get(topic) ?? []).filter((c) => c !== candidate), keys]);
          this.held.set(topic, candidate.topicSecret || !keys.topicSecret ? candidate : { ...candidate, topicSecret: keys.topicSecret });
          this.proven.add(topic);
          this.changed();
        }
        return body;
      }
      throw err;
    }
  }

  /** Another content key a box brought for epoch `topic`, tried when the one held does not open a commit (bounded). */
  private keepCandidate(topic: string, k: EpochKeys): void {
    const list = this.candidates.get(topic) ?? [];
    if (list.some((c) => bytesEqual(c.key, k.key)) || list.length >= CANDIDATE_KEYS_PER_EPOCH) return;
    this.candidates.set(topic, [...list, k]);
    this.news = true;
  }

  /** The epochs in a box sealed to us (none if it is not ours), opened once: access changes replay the records, and an X25519 open is the dearest step of a replay. */
  private openBox(box: Uint8Array): readonly EpochKeys[] {
    const key = toHex(box);
    let keys = this.openedBoxes.get(key);
    if (keys === undefined) {
      try {
        keys = openKeyBox(this.me.secretKey, this.shareId, box).map((k) => (k.topicSecret && !bytesEqual(signingKeyPairFromSeed(k.topicSecret).publicKey, k.topic) ? { topic: k.topic, key: k.key } : k));
      } catch {
        keys = []; // not addressed to us
      }
      this.openedBoxes.set(key, keys);
      if (this.openedBoxes.size > OPENED_BOXES_LIMIT) this.openedBoxes.delete(this.openedBoxes.keys().next().value as string);
    }
    return keys;
  }
}
