/**
 * CYCLON peer sampling (Voulgaris, Gavidia, van Steen 2005, "enhanced shuffling"): each
 * node keeps a small view of descriptors with ages. Every round it ages its view, picks
 * the OLDEST neighbour Q, removes it, and sends Q `shuffleLength - 1` other random
 * descriptors plus a fresh one of itself. Q answers with up to `shuffleLength` random
 * descriptors of its own, and both merge what they received: new ids fill empty slots
 * first, then replace the entries they sent. A dead neighbour is therefore dropped after
 * at most one shuffle with it, and the in-degree of every node stays close to the view size.
 *
 * One sender holds at most `maxPerIntroducer` (default `shuffleLength`) entries of the
 * view at a time: an honest shuffle brings at most `shuffleLength`, and the entries it
 * brought leave as they are shuffled on, so honest exchanges never meet the cap, while a
 * node that floods shuffles of made-up ids cannot take more than that share of the view.
 */
import type { Random } from '../ports/clock.js';
import { aged, type Descriptor, type PeerId } from './descriptor.js';
import { sample } from './random.js';

export interface CyclonOptions {
  /** Descriptors kept (default 20). */
  viewSize?: number;
  /** Descriptors exchanged per shuffle (default 8). */
  shuffleLength?: number;
  /** Entries of the view one sender's messages may hold at a time (default `shuffleLength`). */
  maxPerIntroducer?: number;
}

export interface ShuffleRequest {
  to: PeerId;
  descriptors: Descriptor[];
}

export class Cyclon {
  readonly viewSize: number;
  readonly shuffleLength: number;
  readonly maxPerIntroducer: number;
  private view: Descriptor[] = [];
  /** Who sent each entry of the view (none for the bootstrap list). */
  private readonly introducers = new Map<PeerId, PeerId>();
  /** The shuffle under way: its partner and what was sent (replaced first on merge). */
  private pending: { to: PeerId; sent: Set<PeerId> } | undefined;

  constructor(
    private readonly self: () => Descriptor,
    private readonly random: Random,
    options: CyclonOptions = {},
  ) {
    this.viewSize = options.viewSize ?? 20;
    this.shuffleLength = Math.min(options.shuffleLength ?? 8, this.viewSize);
    this.maxPerIntroducer = options.maxPerIntroducer ?? this.shuffleLength;
  }

  /** The current neighbours (a copy). */
  peers(): Descriptor[] {
    return this.view.slice();
  }

  has(id: PeerId): boolean {
    return this.view.some((d) => d.id === id);
  }

  /** Entries of the view that `introducer`'s messages brought. */
  introducedBy(introducer: PeerId): number {
    let n = 0;
    for (const by of this.introducers.values()) if (by === introducer) n++;
    return n;
  }

  /** Bootstrap: takes descriptors into free slots (the list given at start, or what `from` sent when asked). */
  seed(descriptors: readonly Descriptor[], from?: PeerId): void {
    this.merge(descriptors, new Set(), from);
  }

  /** Forgets a node (dead, or dropped for misbehaving). */
  remove(id: PeerId): void {
    this.view = this.view.filter((d) => d.id !== id);
    this.introducers.delete(id);
  }

  /** One round's active step: the request to send, or nothing when the view is empty. */
  shuffle(): ShuffleRequest | undefined {
    if (this.view.length === 0) return undefined;
    this.view = this.view.map(aged);
    let oldest = 0;
    for (let i = 1; i < this.view.length; i++) if (this.view[i].age > this.view[oldest].age) oldest = i;
    const target = this.view[oldest];
    this.view.splice(oldest, 1);
    this.introducers.delete(target.id);
    const others = sample(this.random, this.view, this.shuffleLength - 1);
    this.pending = { to: target.id, sent: new Set(others.map((d) => d.id)) };
    return { to: target.id, descriptors: [this.self(), ...others] };
  }

  /** The passive step: answers a shuffle request and merges what came with it. */
  answer(from: PeerId, received: readonly Descriptor[]): Descriptor[] {
    const reply = sample(
      this.random,
      this.view.filter((d) => d.id !== from),
      this.shuffleLength,
    );
    this.merge(received, new Set(reply.map((d) => d.id)), from);
    return reply;
  }

  /** The answer to our request; an answer from anyone but the pending partner is ignored. */
  complete(from: PeerId, received: readonly Descriptor[]): void {
    if (this.pending?.to !== from) return;
    const sent = this.pending.sent;
    this.pending = undefined;
    this.merge(received, sent, from);
  }

  private merge(received: readonly Descriptor[], replaceable: Set<PeerId>, from: PeerId | undefined): void {
    const me = this.self().id;
    let room = from === undefined ? Infinity : this.maxPerIntroducer - this.introducedBy(from);
    for (const d of received) {
      if (room <= 0) return;
      if (d.id === me || this.has(d.id)) continue;
      if (this.view.length < this.viewSize) {
        this.view.push(d);
      } else {
        const i = this.view.findIndex((v) => replaceable.has(v.id));
        if (i < 0) return;
        replaceable.delete(this.view[i].id);
        this.introducers.delete(this.view[i].id);
        this.view[i] = d;
      }
      if (from !== undefined) this.introducers.set(d.id, from);
      room--;
    }
  }
}
