/**
 * Who vouched for each id a node holds: the neighbours that named it in gossip, and the
 * id itself once it sent us a message of its own (signed, so it exists). When a node is
 * banned, every id it named that never spoke to us is dropped from every view and
 * distrusted: not taken into a view again until it speaks to us itself, for good when
 * only the banned node named it, for `quarantine` periods when honest nodes named it too
 * (they may have had it from the banned node).
 *
 * Measured in the 16-broker test (a flooder naming the same 64 made-up ids to every
 * broker): dropping only the ids no one else named left them 33% of honest CYCLON views
 * right after the bans, since honest brokers shuffle them on to each other before they
 * ban the flooder; dropping all it named without a quarantine left 12%, rising to 19% ten
 * periods later as brokers not yet done with it passed them back. The price: a node about
 * to be banned can keep honest ids it named that we never heard from out of our views
 * for the quarantine, unless they contact us.
 *
 * The most recent voucher is the id's introducer, to which the views' per-introducer
 * caps count it (cyclon.ts, vicinity.ts).
 */
import type { PeerId } from './descriptor.js';

export interface ProvenanceOptions {
  /** Vouchers remembered per id (default 4): an id another node named too is distrusted only for the quarantine. */
  vouchers?: number;
  /**
   * Ids remembered before those in no view are forgotten (default 256, or twice what the
   * views held at the last pruning): every node of a 10,000-node simulation keeps one.
   */
  capacity?: number;
  /** Distrusted ids remembered, the oldest forgotten first (default 4,096). */
  distrusted?: number;
  /**
   * Periods an id the banned node named, but honest nodes too, stays distrusted (default
   * 50: a dead id is dropped by a node when it shuffles with it, which CYCLON's oldest-first
   * choice does within a few tens of periods; 30 periods after the bans the test's
   * sybils held 0.0% to 0.5% of honest views).
   */
  quarantine?: number;
}

export class Provenance {
  /**
   * Per id, who named it, the most recent first: one voucher as itself, more as a list
   * (most ids are named by one neighbour between two prunings: no list to allocate).
   */
  private readonly vouchers = new Map<PeerId, PeerId | PeerId[]>();
  /** Ids that sent us a message themselves (signed: they exist). */
  private readonly spoke = new Set<PeerId>();
  /** Distrusted ids and the period until which they are (Infinity: for good). */
  private readonly distrusted = new Map<PeerId, number>();
  private period = 0;
  private readonly quarantine: number;
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
    this.quarantine = options.quarantine ?? 50;
  }

  /** One of the node's gossip periods went by. */
  tick(): void {
    this.period++;
  }

  /** `by` named `id` in a message (`by` === `id`: it sent one itself). */
  vouch(id: PeerId, by: PeerId): void {
    if (id === by) return this.heardFrom(id);
    // An id that spoke to us is its own voucher (introducer, withdraw): who names it does not matter.
    if (this.spoke.has(id)) return;
    const list = this.vouchers.get(id);
    if (list === undefined) {
      this.vouchers.set(id, by);
      return;
    }
    if (typeof list === 'string') {
      if (list !== by) this.vouchers.set(id, [by, list]);
      return;
    }
    if (list[0] === by) return;
    // Where `by` goes from: its old place, or the end (full: the oldest goes); what is
    // before it moves up one.
    let from = list.indexOf(by);
    if (from < 0) from = Math.min(list.length, this.maxVouchers - 1);
    for (let i = from; i > 0; i--) list[i] = list[i - 1];
    list[0] = by;
  }

  /** `id` sent us a message itself: it exists, whoever named it before. */
  heardFrom(id: PeerId): void {
    if (this.spoke.has(id)) return;
    this.spoke.add(id);
    this.distrusted.delete(id);
  }

  /** The id itself when it spoke to us, else who last named it (undefined: the bootstrap list, or forgotten). */
  introducer(id: PeerId): PeerId | undefined {
    if (this.spoke.has(id)) return id;
    const list = this.vouchers.get(id);
    return typeof list === 'string' ? list : list?.[0];
  }

  isDistrusted(id: PeerId): boolean {
    return (this.distrusted.get(id) ?? -1) > this.period;
  }

  /**
   * `banned` no longer vouches for anything: returns the ids it named that never spoke to
   * us (to drop from the views), now distrusted: for good those no one else named.
   */
  withdraw(banned: PeerId): PeerId[] {
    const suspects: PeerId[] = [];
    for (const [id, entry] of this.vouchers) {
      if (this.spoke.has(id)) continue;
      const list = typeof entry === 'string' ? [entry] : entry;
      const i = list.indexOf(banned);
      if (i < 0) continue;
      list.splice(i, 1);
      suspects.push(id);
      if (list.length === 0) this.vouchers.delete(id);
      this.distrust(id, list.length === 0 ? Infinity : this.period + this.quarantine);
    }
    this.vouchers.delete(banned);
    this.spoke.delete(banned);
    return suspects;
  }

  /** Bounded memory: beyond capacity, forgets the ids in no view (`held`, asked for only then). */
  prune(held: () => ReadonlySet<PeerId>): void {
    if (this.vouchers.size + this.spoke.size <= this.pruneAt) return;
    const keep = held();
    for (const id of this.vouchers.keys()) if (!keep.has(id)) this.vouchers.delete(id);
    for (const id of this.spoke) if (!keep.has(id)) this.spoke.delete(id);
    this.pruneAt = Math.max(this.capacity, 2 * (this.vouchers.size + this.spoke.size));
  }

  private distrust(id: PeerId, until: number): void {
    const before = this.distrusted.get(id) ?? 0;
    this.distrusted.delete(id); // re-inserted as the newest
    this.distrusted.set(id, Math.max(until, before));
    if (this.distrusted.size > this.maxDistrusted) {
      const oldest = this.distrusted.keys().next();
      if (!oldest.done) this.distrusted.delete(oldest.value);
    }
  }
}
