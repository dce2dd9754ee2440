/**
 * Who vouched for each id a node holds: the neighbours that named it in gossip, and the
 * id itself once it sent us a message of its own (signed, so it exists). When a node is
 * banned, the ids that only it vouched for are made up as far as we know: the overlay
 * drops them from every view and distrusts them (they are not taken into a view again
 * until they speak to us themselves). The most recent voucher is the id's introducer, to
 * which the views' per-introducer caps count it (cyclon.ts, vicinity.ts).
 */
import type { PeerId } from './descriptor.js';

export interface ProvenanceOptions {
  /** Vouchers remembered per id (default 4): one honest voucher besides a liar keeps an id. */
  vouchers?: number;
  /** Ids remembered before those in no view are forgotten (default 2,048). */
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
  private readonly maxDistrusted: number;

  constructor(options: ProvenanceOptions = {}) {
    this.maxVouchers = Math.max(2, options.vouchers ?? 4);
    this.capacity = options.capacity ?? 2048;
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
   * `banned` no longer vouches for anything: returns the ids that no one else vouched for
   * (to drop from the views), now distrusted.
   */
  withdraw(banned: PeerId): PeerId[] {
    const orphans: PeerId[] = [];
    for (const [id, list] of this.vouchers) {
      const i = list.indexOf(banned);
      if (i < 0) continue;
      list.splice(i, 1);
      if (list.length > 0) continue;
      this.vouchers.delete(id);
      orphans.push(id);
      this.distrust(id);
    }
    this.vouchers.delete(banned);
    return orphans;
  }

  /** Bounded memory: beyond capacity, forgets the ids in no view (`held`, asked for only then). */
  prune(held: () => ReadonlySet<PeerId>): void {
    if (this.vouchers.size <= this.capacity) return;
    const keep = held();
    for (const id of this.vouchers.keys()) if (!keep.has(id)) this.vouchers.delete(id);
  }

  private distrust(id: PeerId): void {
    this.distrusted.add(id);
    if (this.distrusted.size > this.maxDistrusted) {
      const oldest = this.distrusted.values().next();
      if (!oldest.done) this.distrusted.delete(oldest.value);
    }
  }
}
