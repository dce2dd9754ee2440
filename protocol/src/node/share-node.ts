/**
 * A share replica bound to a durable log store: the piece of the Weft node that makes
 * "stored before acknowledged or sent" true. Every commit this node makes is appended
 * (and fsync'd by the store) before `commit()` resolves with the bytes to send; every
 * commit received is appended once it is merged. On open, the records are replayed.
 *
 * Record format in the store (records are opaque to the store):
 *   0x43 ...   a commit envelope, as on the wire (its first byte is the commit kind)
 *   0x4b ...   a key box sealed to this node's key (how the node reads the share after a
 *              restart: the genesis and grants are themselves encrypted)
 */
import type { RandomSource, SigningKeyPair } from '../crypto/index.js';
import type { CommitEnvelope } from '../log/commit.js';
import { COMMIT_KIND } from '../log/commit.js';
import type { LogStore } from '../ports/log-store.js';
import { ShareReplica, type ReceiveOutcome } from '../share/replica.js';

const KEY_BOX_RECORD = 0x4b;

export interface ShareNodeInit {
  store: LogStore;
  shareId: Uint8Array;
  me: SigningKeyPair;
  random?: RandomSource;
}

export class ShareNode {
  private constructor(
    readonly replica: ShareReplica,
    private readonly store: LogStore,
  ) {}

  /** Creates a share and stores its key box and genesis durably. */
  static async create(store: LogStore, name: string, owner: SigningKeyPair, random?: RandomSource): Promise<{ node: ShareNode; shareKey: SigningKeyPair }> {
    const loaded = await store.open();
    if (loaded.records.length > 0) throw new Error('the store already holds a share; open it instead');
    const { replica, shareKey, genesis } = ShareReplica.create(name, owner, random);
    await store.append([keyBoxRecord(replica.keyBoxesFor(owner.publicKey)[0]!), genesis.bytes]);
    return { node: new ShareNode(replica, store), shareKey };
  }

  /** Opens a stored share (or starts an empty one for a joiner), replaying every record. */
  static async open(init: ShareNodeInit): Promise<{ node: ShareNode; recovered?: string }> {
    const loaded = await init.store.open();
    const replica = new ShareReplica({ shareId: init.shareId, me: init.me, random: init.random });
    for (const r of loaded.records) if (r[0] === KEY_BOX_RECORD) replica.addKeys([r.subarray(1)]);
    for (const r of loaded.records) if (r[0] === COMMIT_KIND) replica.receive(r);
    const node = new ShareNode(replica, init.store);
    return loaded.recovered ? { node, recovered: `${loaded.recovered.reason} (${loaded.recovered.truncatedBytes} bytes cut)` } : { node };
  }

  /**
   * Stores key boxes sealed to us (from an invitation or a peer) and opens them; commits
   * that waited for those keys are merged and stored (`merged` sees them first, as in
   * receive()).
   */
  async addKeys(boxes: readonly Uint8Array[], merged?: (out: ReceiveOutcome) => void): Promise<ReceiveOutcome> {
    await this.store.append(boxes.map(keyBoxRecord));
    const out = this.replica.addKeys(boxes);
    merged?.(out);
    await this.storeMerged(out);
    return out;
  }

  /** Commits what is staged: durable when this resolves; then send the returned bytes. */
  /** Commits what is staged (in as many commits as the size limit needs), stored before it resolves; returns the last. */
  async commit(): Promise<CommitEnvelope | undefined> {
    return (await this.commitAll()).at(-1);
  }

  /** Commits what is staged, in commits under the size limit, in order; all stored before it resolves. */
  async commitAll(): Promise<CommitEnvelope[]> {
    const envs = this.replica.flushInPieces();
    if (envs.length) await this.store.append(envs.map((e) => e.bytes));
    return envs;
  }

  /**
   * Merges a received commit and stores whatever became part of the DAG. `merged` is
   * called synchronously, before the write: the changes' offsets are those of the
   * replica's text right now, and a local edit made while the write is under way would
   * make them wrong if they were reported after it.
   */
  async receive(bytes: Uint8Array, merged?: (out: ReceiveOutcome) => void): Promise<ReceiveOutcome> {
    const out = this.replica.receive(bytes);
    merged?.(out);
    await this.storeMerged(out);
    return out;
  }

  private async storeMerged(out: ReceiveOutcome): Promise<void> {
    const stored = out.results.filter((r) => r.status === 'merged').map((r) => this.replica.commitBytes(r.id)!);
    if (stored.length) await this.store.append(stored);
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

function keyBoxRecord(box: Uint8Array): Uint8Array {
  const out = new Uint8Array(box.length + 1);
  out[0] = KEY_BOX_RECORD;
  out.set(box, 1);
  return out;
}
