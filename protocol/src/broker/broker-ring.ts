/**
 * The broker's side of the overlay (docs/OVERLAY.md, "Brokers use it"), sans-I/O: the
 * overlay's channel (events along each topic's ring), the links to ring neighbours (a topic
 * both carry synced on them), and a member's WANT asked of those links (ring-wants.ts).
 * broker.ts stays the store-and-forward state machine; it hands this part the channels and
 * the checks it needs (RingHost).
 */
import { toHex } from '../crypto/index.js';
import type { CommitId } from '../log/ids.js';
import { encodeWire, type WireErrorCode } from '../multicast/wire.js';
import { emptyOutput, type BrokerOutput, type ChannelId, type ChannelState } from './broker-types.js';
import { RingWants } from './ring-wants.js';

/** What the ring part uses of the broker. */
export interface RingHost {
  readonly channels: ReadonlyMap<ChannelId, ChannelState>;
  /** Stored here, or a member subscribed to it here: the overlay carries it. */
  carriesTopic(hex: string): boolean;
  /** Stored or being stored here. */
  holds(hex: string, id: CommitId): boolean;
  /** Adds the channel to the topic's subscribers. */
  addSubscriber(c: ChannelState, hex: string): void;
  /** SUBSCRIBE and a sync session for the topic on the channel. */
  meshSubscribe(c: ChannelState, topic: Uint8Array, out: BrokerOutput): void;
  /** The broker's checks of a commit from the channel (topic signature, quota), then stored and forwarded. */
  acceptCommit(c: ChannelState, bytes: Uint8Array, now: number, out: BrokerOutput): void;
  /** ERROR to the sender, plus a strike. */
  refuse(out: BrokerOutput, c: ChannelState, now: number, code: WireErrorCode, reason: string, topic?: Uint8Array): void;
}

export class BrokerRing {
  /** The overlay's channel (Broker.attachOverlay), subscribed to every topic carried here. */
  private overlay: ChannelId | undefined;
  /** Ids members wanted that this broker lacks, asked of its ring neighbours. */
  private readonly wants = new RingWants();

  constructor(private readonly host: RingHost) {}

  attach(channel: ChannelId): void {
    this.overlay = channel;
  }

  private overlayChannel(): ChannelState | undefined {
    return this.overlay === undefined ? undefined : this.host.channels.get(this.overlay);
  }

  /** A topic carried here: the overlay channel subscribes to it, and the overlay adds a ring (BrokerOutput.carried). */
  carry(topic: Uint8Array, hex: string, out: BrokerOutput): void {
    const c = this.overlayChannel();
    if (!c || c.subs.has(hex)) return;
    c.subs.add(hex);
    this.host.addSubscriber(c, hex);
    out.carried.push(topic);
  }

  /**
   * An event that came over the overlay (its id and topic checked against the message by
   * the runtime): the broker's own checks, as for any channel. `valid`: it is stored or
   * being stored here now, so the overlay may relay it on.
   */
  event(commit: Uint8Array, id: CommitId, topicHex: string, now: number): { out: BrokerOutput; valid: boolean } {
    const out = emptyOutput();
    const c = this.overlayChannel();
    if (!c) return { out, valid: false };
    this.host.acceptCommit(c, commit, now, out);
    return { out, valid: this.host.holds(topicHex, id) };
  }

  /**
   * The runtime found a ring neighbour for a topic carried here: on the link to it,
   * subscribe to the topic and sync it, so each side catches up with what the other has
   * (a restarted broker, an event whose ring path broke).
   */
  link(channel: ChannelId, topic: Uint8Array, now: number): BrokerOutput {
    const out = emptyOutput();
    const c = this.host.channels.get(channel);
    const hex = toHex(topic);
    if (c?.ringLink && !c.closing && this.host.carriesTopic(hex)) this.linkTopic(c, topic, hex, out, now);
    return out;
  }

  linkTopic(c: ChannelState, topic: Uint8Array, hex: string, out: BrokerOutput, now: number): void {
    if (!c.ringLink || c.ringLink.topics.has(hex)) return;
    c.ringLink.topics.add(hex);
    this.host.meshSubscribe(c, topic, out);
    const waiting = this.wants.unsent(hex, now);
    if (waiting.length > 0) out.send.push({ to: c.id, frame: encodeWire({ type: 'want', topic, ids: waiting }) });
  }

  /**
   * Asks the ring links of a carried topic for what a member wants and this broker lacks
   * (or, with no link yet, keeps the ask for the first one).
   */
  ask(member: ChannelState, topic: Uint8Array, hex: string, lacking: CommitId[], now: number, out: BrokerOutput): void {
    if (!this.host.carriesTopic(hex)) return;
    const links = [...this.host.channels.values()].filter((l) => !l.closing && l.ringLink?.topics.has(hex));
    const ids = this.wants.ask(hex, lacking, member.id, now, links.length > 0);
    if (ids.length === 0 || links.length === 0) return;
    const frame = encodeWire({ type: 'want', topic, ids });
    for (const l of links) out.send.push({ to: l.id, frame });
  }

  /**
   * An EVENT on a ring link answers a WANT this broker asked (events travel the ring, and
   * the link's sync sends SYNC frames): one that answers none is refused. A second
   * neighbour's answer to the same ask finds it held already: the broker's duplicate path
   * charges it to the link's rate, unacknowledged.
   */
  answer(c: ChannelState, topic: Uint8Array, id: CommitId, hex: string, now: number, out: BrokerOutput): boolean {
    if (this.host.holds(hex, id) || this.wants.asked(id, hex, now)) return true;
    this.host.refuse(out, c, now, 'malformed', `event ${id.slice(0, 12)} on a ring link answers no WANT of this broker; dropped`, topic);
    return false;
  }

  /** A new event accepted here (whichever way it came): the members that waited for it. */
  arrived(id: CommitId): ReadonlySet<ChannelId> {
    return this.wants.arrived(id);
  }

  /** A channel closed: it waits for nothing. */
  forget(channel: ChannelId): void {
    this.wants.forget(channel);
  }

  /** Ids asked of the ring and not yet answered. */
  get outstanding(): number {
    return this.wants.size;
  }

  /** Ids sent to ring links since start. */
  get asked(): number {
    return this.wants.sentCount;
  }
}
