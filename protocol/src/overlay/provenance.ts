/**
 * Who vouched for each id a node holds: the neighbours that named it in gossip, and the
 * id itself once it sent us a message of its own (signed, so it exists). When a node is
 * banned, every id it named that never spoke to us is dropped from every view; those
 * that only it named are also distrusted (not taken into a view again until they speak
 * to us themselves), while those that honest nodes named too may come back through their
 * gossip. Dropping only the ids no one else named was not enough: the flooder names the
 * same made-up ids to every node, honest nodes pass them on to each other before they
 * ban it, and so in the 16-broker test they still held 33% of honest CYCLON views right
 * after the bans. The price: a node about to be banned can make us forget ids it named
 * that we never heard from, honest ones included, until gossip brings them back.
 * The most recent voucher is the id's introducer, to which the views' per-introducer
 * caps count it (cyclon.ts, vicinity.ts).
 */
import type { PeerId } from './descriptor.js';

export interface ProvenanceOptions {
  /** Vouchers remembered per id (default 4): one honest voucher besides a liar keeps an id. */
  vouchers?: number;
  /**
   * Ids remembered before those in no view are forgotten (default 256, or twice what the
   * views held at the last pruning): every node of a 10,000-node simulation keeps one.
   */
  capacity?: number;
  /** Distrusted ids remembered, the oldest forgotten first (default 4,096). */
  distrusted?: number;
}

export class Provenance {
  /** Per id, who named it, the most recent first; the id itself when it spoke to us. */
  private readonly vouchers = new Map<PeerId, PeerId[]>();
  private readonly distrusted = new Set<PeerId>();
  private readonly maxVouchers: number;
  private readonly capacity: number;
  /** When to prune next: amortised, so a node whose views hold many ids does not prune each period. */
  private pruneAt: number;
  private readonly maxDistrusted: number;

  constructor(options: ProvenanceOptions = {}) {
    this.maxVouchers = Math.max(2, options.vouchers ?? 4);
    this.capacity = options.capacity ?? 256;
    this.pruneAt = this.capacity;
    this.maxDistrusted = options.distrusted ?? 4096;
  }

  /** `by` named `id` in a message (`by` === `id`: it sent one itself). */
  vouch(id: PeerId, by: PeerId): void {
    const list = this.vouchers.get(id);
    if (!list) {
      this.vouchers.set(id, [by]);
      return;
    }
    const i = list.indexOf(by);
    if (i === 0) return;
    if (i > 0) list.splice(i, 1);
    // Full: the oldest goes, but never the id's own word (the proof that it exists).
    else if (list.length >= this.maxVouchers) list.splice(list[list.length - 1] === id ? list.length - 2 : list.length - 1, 1);
    list.unshift(by);
  }

  /** `id` sent us a message itself: it exists, whoever named it before. */
  heardFrom(id: PeerId): void {
    this.vouch(id, id);
    this.distrusted.delete(id);
  }

  /** Who last named `id` (undefined for ids from the bootstrap list or forgotten). */
  introducer(id: PeerId): PeerId | undefined {
    return this.vouchers.get(id)?.[0];
  }

  isDistrusted(id: PeerId): boolean {
    return this.distrusted.has(id);
  }

  /**
   * `banned` no longer vouches for anything: returns the ids it named that never spoke to
   * us (to drop from the views); those no one else named are now distrusted.
   */
  withdraw(banned: PeerId): PeerId[] {
    const suspects: PeerId[] = [];
    for (const [id, list] of this.vouchers) {
      const i = list.indexOf(banned);
      if (i < 0 || list.includes(id)) continue;
      list.splice(i, 1);
      suspects.push(id);
      if (list.length > 0) continue;
      this.vouchers.delete(id);
      this.distrust(id);
    }
    this.vouchers.delete(banned);
    return suspects;
  }

  /** Bounded memory: beyond capacity, forgets the ids in no view (`held`, asked for only then). */
  prune(held: () => ReadonlySet<PeerId>): void {
    if (this.vouchers.size <= this.pruneAt) return;
    const keep = held();
    for (const id of this.vouchers.keys()) if (!keep.has(id)) this.vouchers.delete(id);
    this.pruneAt = Math.max(this.capacity, 2 * this.vouchers.size);
  }

  private distrust(id: PeerId): void {
    this.distrusted.add(id);
    if (this.distrusted.size > this.maxDistrusted) {
      const oldest = this.distrusted.values().next();
      if (!oldest.done) this.distrusted.delete(oldest.value);
    }
  }
}
