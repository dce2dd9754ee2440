/**
 * One node of the overlay, sans-I/O: CYCLON peer sampling with a URPS sampler on its
 * stream, VICINITY clustering on subscription profiles, the topic rings, RingCast
 * dissemination and the guard against misbehaving nodes, driven by `tick(round)` once a
 * gossip period and `receive(from, message, round)` for each message. Both return the
 * messages to send; the adapter (the broker over libp2p, or the simulator) sends them,
 * and reports nodes it cannot reach with `unreachable(id)`.
 *
 * Against a node that floods gossip before it is banned: every id taken in is recorded
 * with who vouched for it (provenance.ts); CYCLON and VICINITY cap what one introducer
 * may hold; one unsolicited request per sender and period is merged (more are answered
 * only); and a ban drops, from every view, the ids the banned node named that never spoke to us.
 */
import type { Random } from '../ports/clock.js';
import { randomize } from './blip.js';
import { Cyclon, type CyclonOptions } from './cyclon.js';
import type { Descriptor, PeerId } from './descriptor.js';
import { PeerGuard, type GuardOptions, type RejectReason } from './guard.js';
import { MalformedMessageError, OversizedMessageError, UnsupportedMessageError, type OverlayMessage } from './messages.js';
import { Profile, topicBits, topicKey, type ProfileOptions, type TopicKey } from './profile.js';
import { Provenance, type ProvenanceOptions } from './provenance.js';
import { randomIndex, sample } from './random.js';
import { ringcastTargets, SeenEvents } from './ringcast.js';
import { TopicRings, type RingOptions } from './rings.js';
import { UrpsSampler, type UrpsOptions } from './urps.js';
import { Vicinity, type VicinityOptions } from './vicinity.js';
import { decodeOverlayMessage } from './wire.js';

export interface OverlayNodeOptions {
  cyclon?: CyclonOptions;
  vicinity?: VicinityOptions;
  rings?: RingOptions;
  urps?: UrpsOptions;
  profile?: ProfileOptions;
  guard?: GuardOptions;
  provenance?: ProvenanceOptions;
  /** Publish the profile BLIP-randomised with this epsilon (default: exact). */
  blipEpsilon?: number;
  /** RingCast fanout F (default 3). */
  fanout?: number;
  /** Topics whose ring gossips each round, in turn (default 2)... */
  ringTopicsPerRound?: number;
  /** ...and more if needed for every topic's ring to gossip at least once in this many rounds (default 2). */
  ringPeriod?: number;
  /** Event ids remembered for duplicate detection (default 4,096). */
  seenEvents?: number;
  /** Ring joins this node forwards per round (default 32; more are dropped, the joiner retries). */
  joinsPerRound?: number;
  /** Hops after which a join stops where it is (default 32). */
  maxJoinHops?: number;
}

export interface Outgoing {
  to: PeerId;
  message: OverlayMessage;
  /** For events: whom to try, in order, when `to` cannot be reached. */
  fallbacks?: readonly PeerId[];
}

export interface Delivery {
  topic: string;
  event: string;
  hops: number;
}

export interface Step {
  send: Outgoing[];
  /** A new event for a topic this node subscribes to. */
  delivered?: Delivery;
  /** An event seen before (dropped). */
  duplicate?: boolean;
  /** Why the message was refused (its sender is now banned). */
  rejected?: RejectReason;
  /** A message of a kind this node does not know (a newer node's), dropped; its sender is not banned for it. */
  dropped?: UnsupportedMessageError;
}

const NOTHING: Step = { send: [] };

export class OverlayNode {
  private readonly carried: Set<string>;
  readonly cyclon: Cyclon;
  readonly vicinity: Vicinity;
  readonly rings: TopicRings;
  readonly urps: UrpsSampler;
  readonly guard: PeerGuard;
  readonly provenance: Provenance;
  private profile: Profile;
  private readonly keys: TopicKey[];
  private readonly profileOptions: ProfileOptions | undefined;
  private readonly blipEpsilon: number | undefined;
  private readonly ringTopicsOption: number;
  private readonly ringPeriod: number;
  private readonly seen: SeenEvents;
  private readonly fanout: number;
  /** Per topic, the nodes that said they do not carry it (not probed again). */
  private readonly notCarried = new Map<string, Set<PeerId>>();
  private ringCursor = 0;
  private readonly joinsPerRound: number;
  private readonly maxJoinHops: number;
  private joinRound = -1;
  private joinsThisRound = 0;
  /**
   * Per topic, the latest few nodes seen in any gossip whose profile says they may carry
   * it and that are not in its ring yet: the next ring gossip probes one. Looking at
   * every descriptor that passes, not only at the views, is what lets rings of popular
   * topics close within tens of rounds at 10,000 nodes.
   */
  private readonly candidates = new Map<string, PeerId[]>();
  /** Senders whose unsolicited request of a kind was merged this period (a second one is answered only). */
  private readonly mergedThisPeriod = { 'cyclon-request': new Set<PeerId>(), 'vicinity-request': new Set<PeerId>() };
  /** Nodes asked for their descriptor (a descriptor response from anyone else is ignored). */
  private readonly asked = new Set<PeerId>();

  constructor(
    readonly id: PeerId,
    topics: Iterable<string>,
    private readonly random: Random,
    options: OverlayNodeOptions = {},
  ) {
    this.carried = new Set(topics);
    this.keys = [...this.carried].map(topicKey);
    this.profileOptions = options.profile;
    this.blipEpsilon = options.blipEpsilon;
    this.profile = this.makeProfile();
    const self = (): Descriptor => ({ id, age: 0, profile: this.profile });
    this.provenance = new Provenance(options.provenance);
    this.cyclon = new Cyclon(self, random, options.cyclon);
    this.vicinity = new Vicinity(self, random, options.vicinity, (peer) => this.provenance.introducer(peer), () => this.wantedBits());
    this.rings = new TopicRings(id, this.carried, random, options.rings);
    this.urps = new UrpsSampler(random, options.urps);
    this.guard = new PeerGuard(options.guard);
    this.seen = new SeenEvents(options.seenEvents);
    this.joinsPerRound = options.joinsPerRound ?? 32;
    this.maxJoinHops = options.maxJoinHops ?? 32;
    this.fanout = options.fanout ?? 3;
    this.ringTopicsOption = options.ringTopicsPerRound ?? 2;
    this.ringPeriod = options.ringPeriod ?? 2;
  }

  /** The topics this node carries (its profile, and a ring each). */
  get topics(): ReadonlySet<string> {
    return this.carried;
  }

  /** The profile other nodes see: exact, or BLIP-randomised. */
  get published(): Profile {
    return this.profile;
  }

  /**
   * Takes on a topic (a broker that begins to carry a share): a new profile (flipped again
   * with BLIP when enabled) and an empty ring that ring gossip fills.
   */
  carry(topic: string): void {
    if (this.carried.has(topic)) return;
    this.carried.add(topic);
    this.keys.push(topicKey(topic));
    this.rings.add(topic);
    this.profile = this.makeProfile();
    this.vicinity.profileChanged();
  }

  private makeProfile(): Profile {
    const exact = Profile.fromTopics(this.keys, this.profileOptions);
    return this.blipEpsilon === undefined ? exact : randomize(exact, this.blipEpsilon, this.random);
  }

  /**
   * The bits of the topics whose rings are not filled yet (every topic once all are):
   * VICINITY keeps the peers that cover them first, as PolderCast's does.
   */
  private wantedBits(): Uint32Array {
    const needy = this.keys.filter((k) => this.rings.ring(k.topic)?.filled() === false);
    return topicBits(needy.length > 0 ? needy : this.keys, this.profile.size, this.profile.hashes);
  }

  /** Ring topics gossiped each round: enough for every ring at least every `ringPeriod` rounds. */
  private get ringTopicsPerRound(): number {
    return Math.max(this.ringTopicsOption, Math.ceil(this.keys.length / this.ringPeriod));
  }

  descriptor(): Descriptor {
    return { id: this.id, age: 0, profile: this.profile };
  }

  /** Joins through known nodes (the bootstrap list). */
  bootstrap(descriptors: readonly Descriptor[]): void {
    this.cyclon.seed(descriptors.filter((d) => !this.guard.isBanned(d.id)));
  }

  /**
   * Asks a node for its descriptor and some of its views (the bootstrap node, once the
   * connection to it is up), so that rings are joined within a period instead of after
   * the first shuffles.
   */
  askDescriptor(id: PeerId): Outgoing {
    if (this.asked.size >= 64) this.asked.clear(); // bounded: a forgotten ask only makes its answer ignored
    this.asked.add(id);
    return { to: id, message: { kind: 'descriptor-request', descriptors: [this.descriptor()] } };
  }

  /**
   * Bans a node (for what it sent here, or a reason found by the adapter: bytes that do
   * not decode, a bad signature): it leaves every view, and so does every id it named that
   * never spoke to us (provenance.ts).
   */
  ban(id: PeerId): void {
    this.guard.ban(id);
    this.unreachable(id);
    for (const suspect of this.provenance.withdraw(id)) this.unreachable(suspect);
  }

  /** A node that could not be reached: forgotten everywhere (it may come back through gossip). */
  unreachable(id: PeerId): void {
    this.cyclon.remove(id);
    this.vicinity.remove(id);
    this.rings.remove(id);
    this.urps.remove(id);
  }

  /** Distinct nodes this node links to: CYCLON, VICINITY, rings and shortcuts. */
  degree(): number {
    return this.linked().size;
  }

  /** Every node this node links to: ring neighbours and shortcuts, CYCLON and VICINITY. */
  private linked(): Set<PeerId> {
    const ids = this.rings.neighbours();
    for (const d of this.cyclon.peers()) ids.add(d.id);
    for (const d of this.vicinity.peers()) ids.add(d.id);
    return ids;
  }

  /** One gossip period: a CYCLON shuffle, a VICINITY exchange and ring gossip for a few topics. */
  tick(): Outgoing[] {
    this.mergedThisPeriod['cyclon-request'].clear();
    this.mergedThisPeriod['vicinity-request'].clear();
    this.provenance.tick();
    this.provenance.prune(() => this.held());
    const out: Outgoing[] = [];
    const shuffle = this.cyclon.shuffle();
    if (shuffle) out.push({ to: shuffle.to, message: { kind: 'cyclon-request', descriptors: shuffle.descriptors } });
    const vicinity = this.vicinity.gossip(this.cyclon.peers());
    if (vicinity) out.push({ to: vicinity.to, message: { kind: 'vicinity-request', descriptors: vicinity.descriptors } });
    const n = Math.min(this.ringTopicsPerRound, this.keys.length);
    for (let i = 0; i < n; i++) {
      const key = this.keys[this.ringCursor++ % this.keys.length];
      const partner = this.ringPartner(key);
      if (partner !== undefined) out.push({ to: partner, message: this.ringMessage('ring-request', key.topic) });
      // A side left empty (its neighbours died): join again, through anyone of the ring.
      const ring = this.rings.ring(key.topic);
      if (ring && (ring.successors.length === 0 || ring.predecessors.length === 0) && ring.shortcuts.length > 0) {
        const via = ring.shortcuts[randomIndex(this.random, ring.shortcuts.length)];
        out.push({ to: via, message: { kind: 'ring-join', topic: key.topic, joiner: this.id, hops: 0 } });
      }
    }
    return out;
  }

  /** Publishes a new event on a topic this node carries. */
  publish(topic: string, event: string): Outgoing[] {
    const ring = this.rings.ring(topic);
    if (!ring || !this.seen.firstTime(event)) return [];
    return this.forwards(topic, event, 1, undefined);
  }

  /** A message as bytes off the wire (after its signature was checked): decoded, bounded, then handled. */
  receiveBytes(from: PeerId, bytes: Uint8Array, round: number): Step {
    if (this.guard.isBanned(from)) return NOTHING;
    let message: OverlayMessage;
    try {
      message = decodeOverlayMessage(bytes, this.guard.options);
    } catch (err) {
      if (err instanceof UnsupportedMessageError) return this.receiveUnsupported(from, err, round);
      if (!(err instanceof OversizedMessageError || err instanceof MalformedMessageError)) throw err;
      this.ban(from);
      return { send: [], rejected: err };
    }
    return this.receive(from, message, round);
  }

  /**
   * A message this node cannot read but that is not malformed (a tag a newer node added,
   * wire.ts): dropped, and counted against its sender's gossip rate, which bans a sender
   * that floods them.
   */
  receiveUnsupported(from: PeerId, error: UnsupportedMessageError, round: number): Step {
    const flooding = this.guard.admitUnknown(from, round);
    if (flooding === 'banned') return NOTHING;
    if (flooding) return this.refuse(from, flooding);
    return { send: [], dropped: error };
  }

  /**
   * `round` is the time in gossip periods: the simulator's round, or the broker's clock
   * over its period (fractional); the guard's rates and the join budget run on it.
   */
  receive(from: PeerId, message: OverlayMessage, round: number): Step {
    const rejected = this.guard.admit(from, message, round);
    if (rejected === 'banned') return NOTHING;
    if (rejected) return this.refuse(from, rejected);
    this.provenance.heardFrom(from);
    switch (message.kind) {
      case 'cyclon-request': {
        const received = this.firstThisPeriod(from, message.kind) ? this.admitted(message.descriptors, from) : [];
        const reply = this.cyclon.answer(from, received);
        return { send: [{ to: from, message: { kind: 'cyclon-response', descriptors: reply } }] };
      }
      case 'cyclon-response':
        this.cyclon.complete(from, this.admitted(message.descriptors, from));
        return NOTHING;
      case 'vicinity-request': {
        const received = this.firstThisPeriod(from, message.kind) ? this.admitted(message.descriptors, from) : message.descriptors.filter((d) => d.id === from);
        const reply = this.vicinity.answer(from, received, this.cyclon.peers());
        return { send: [{ to: from, message: { kind: 'vicinity-response', descriptors: reply } }] };
      }
      case 'vicinity-response':
        this.vicinity.complete(this.admitted(message.descriptors, from), this.cyclon.peers());
        return NOTHING;
      case 'descriptor-request':
      case 'descriptor-response':
        return this.descriptorExchange(from, message.kind, message.descriptors);
      case 'ring-request':
      case 'ring-response':
        if (!message.subscribed) {
          this.notCarrying(from, message.topic);
          return NOTHING;
        }
        return this.ringGossip(from, message.kind, message.topic, message.ids, round);
      case 'ring-join':
        return this.ringJoin(from, message.topic, message.joiner, message.hops, round);
      case 'event':
        return this.event(from, message.topic, message.event, message.hops);
    }
  }

  /** Bans the sender of a refused message. */
  private refuse(from: PeerId, rejected: RejectReason): Step {
    this.ban(from);
    return { send: [], rejected };
  }

  /** Whether this is `from`'s first `kind` this period (the first is merged into the views, later ones are only answered). */
  private firstThisPeriod(from: PeerId, kind: 'cyclon-request' | 'vicinity-request'): boolean {
    // A set per kind, not one of `${kind}\n${from}` keys: building and hashing a new key string for every request showed in profiles.
    const merged = this.mergedThisPeriod[kind];
    if (merged.has(from)) return false;
    merged.add(from);
    return true;
  }

  /** Every id in a view: CYCLON, VICINITY, rings, URPS's sample set. */
  private held(): Set<PeerId> {
    const ids = this.linked();
    for (const id of this.urps.sampleSet()) ids.add(id);
    return ids;
  }

  /** Whether an id may be taken into a view: not banned, not distrusted (named by a banned node), not this node. */
  private acceptable(id: PeerId): boolean {
    return id !== this.id && !this.guard.isBanned(id) && !this.provenance.isDistrusted(id);
  }

  /** Descriptors `from` sent of nodes that may be taken in, recorded as vouched for by it; their ids feed the URPS sampler. */
  private admitted(descriptors: readonly Descriptor[], from: PeerId): Descriptor[] {
    const out = descriptors.filter((d) => this.acceptable(d.id));
    for (const d of out) {
      this.provenance.vouch(d.id, from);
      this.urps.offer(d.id);
      this.noteCandidate(d);
    }
    return out;
  }

  /**
   * The bootstrap exchange: the asked node takes the asker's descriptor and answers with
   * its own first, then the most similar to the asker and random ones of its views; the
   * asker takes them as if from a shuffle and a VICINITY exchange, and the profiles in
   * them point its next ring gossip at the rings' members.
   */
  private descriptorExchange(from: PeerId, kind: 'descriptor-request' | 'descriptor-response', descriptors: readonly Descriptor[]): Step {
    if (kind === 'descriptor-response' && !this.asked.delete(from)) return NOTHING;
    if (descriptors[0]?.id !== from) return this.refuse(from, new MalformedMessageError(`a ${kind} whose first descriptor is not its sender's`));
    const received = this.admitted(descriptors, from);
    if (kind === 'descriptor-response') {
      this.cyclon.remove(from); // the stand-in descriptor the bootstrap list gave
      this.cyclon.seed(received, from);
      this.vicinity.complete(received, this.cyclon.peers());
      return NOTHING;
    }
    const similar = this.vicinity.answer(from, received, this.cyclon.peers());
    this.cyclon.seed(received, from);
    const reply = new Map<PeerId, Descriptor>([[this.id, this.descriptor()]]);
    for (const d of [...similar, ...sample(this.random, this.cyclon.peers(), this.cyclon.shuffleLength)]) if (d.id !== from && !reply.has(d.id)) reply.set(d.id, d);
    return { send: [{ to: from, message: { kind: 'descriptor-response', descriptors: [...reply.values()] } }] };
  }

  private ringGossip(from: PeerId, kind: 'ring-request' | 'ring-response', topic: string, ids: readonly PeerId[], round: number): Step {
    const ring = this.rings.ring(topic);
    if (!ring) return kind === 'ring-request' ? { send: [{ to: from, message: { kind: 'ring-response', topic, ids: [], subscribed: false } }] } : NOTHING;
    // A requester that is far from here on the ring and unknown is new to it (or in a
    // part of the ring split from this one): its join is routed to its place.
    const stranger = kind === 'ring-request' && !ring.has(from) && !ring.improves(from);
    const vouched = ids.filter((id) => this.acceptable(id));
    // Only ids new to the ring are recorded: ring gossip repeats the same neighbours every
    // period, and recording each mention cost the simulator a fifth of its time.
    for (const id of vouched) if (!ring.has(id)) this.provenance.vouch(id, from);
    this.rings.offer(topic, [from, ...vouched]);
    if (kind === 'ring-response') return NOTHING;
    const send: Outgoing[] = [{ to: from, message: this.ringMessage('ring-response', topic) }];
    if (stranger) send.push(...this.ringJoin(from, topic, from, 0, round).send);
    return { send };
  }

  /**
   * Routes a join towards the joiner's predecessor (the known subscriber nearest before
   * it), which takes it in and answers it with its ring: the joiner then knows its
   * neighbours, and they know it, in one round instead of tens.
   */
  private ringJoin(from: PeerId, topic: string, joiner: PeerId, hops: number, round: number): Step {
    const ring = this.rings.ring(topic);
    if (!ring || !this.acceptable(joiner)) return NOTHING;
    if (Math.floor(round) !== this.joinRound) {
      this.joinRound = Math.floor(round);
      this.joinsThisRound = 0;
    }
    if (++this.joinsThisRound > this.joinsPerRound) return NOTHING;
    const next = ring.closestPreceding(joiner);
    if (next !== undefined && hops < this.maxJoinHops) return { send: [{ to: next, message: { kind: 'ring-join', topic, joiner, hops: hops + 1 } }] };
    this.provenance.vouch(joiner, from);
    ring.offer(joiner, this.random);
    return { send: [{ to: joiner, message: this.ringMessage('ring-response', topic) }] };
  }

  /** Ring gossip for a topic this node carries: the subscribers it knows. */
  private ringMessage(kind: 'ring-request' | 'ring-response', topic: string): OverlayMessage {
    return { kind, topic, ids: this.rings.ring(topic)?.known() ?? [], subscribed: true };
  }

  /**
   * Whom to gossip a topic's ring with: a node of the random or similar views whose
   * profile says it may carry the topic and that would improve the ring (a probe), or
   * else one of the ring's own nodes.
   */
  private ringPartner(key: TopicKey): PeerId | undefined {
    const ring = this.rings.ring(key.topic);
    if (!ring) return undefined;
    const seen = (this.candidates.get(key.topic) ?? []).filter((id) => !ring.has(id));
    // Nodes seen in passing are probed first, one a turn, the others kept for the next
    // turns: they do not come back as view members do, and dropping them lost a rare
    // topic's only sighting of a fellow subscriber to a Bloom false positive beside it.
    const passing = seen.find((id) => ring.improves(id));
    this.candidates.set(key.topic, seen.filter((id) => id !== passing));
    if (passing !== undefined) return passing;
    const probes: PeerId[] = [];
    for (const id of this.possibleCarriers(key)) if (!ring.has(id) && ring.improves(id)) probes.push(id);
    if (probes.length > 0) return probes[randomIndex(this.random, probes.length)];
    // Mostly the nearest neighbours (which is how a ring stabilises, as in Chord); now and
    // then a shortcut or a subscriber not in the ring, whose answer may cross into a part
    // of the ring this node's neighbours do not know (a split ring).
    const dice = this.random();
    if (dice < 0.2 && seen.length > 0) {
      const stranger = seen[randomIndex(this.random, seen.length)];
      this.candidates.set(key.topic, seen.filter((id) => id !== stranger));
      return stranger;
    }
    if (dice < 0.3 && ring.shortcuts.length > 0) return ring.shortcuts[randomIndex(this.random, ring.shortcuts.length)];
    const side = dice < 0.65 ? ring.successors : ring.predecessors;
    return side[0] ?? ring.successors[0] ?? ring.predecessors[0] ?? ring.shortcuts[0];
  }

  private noteCandidate(d: Descriptor): void {
    for (const key of this.keys) {
      if (!d.profile.mightContain(key) || this.rings.ring(key.topic)?.has(d.id) !== false || this.notCarried.get(key.topic)?.has(d.id)) continue;
      let list = this.candidates.get(key.topic);
      if (!list) this.candidates.set(key.topic, (list = []));
      if (list.includes(d.id)) continue;
      list.push(d.id);
      if (list.length > 4) list.shift();
    }
  }

  private event(from: PeerId, topic: string, event: string, hops: number): Step {
    if (!this.topics.has(topic)) return NOTHING; // only subscribers relay
    if (!this.seen.firstTime(event)) return { send: [], duplicate: true };
    this.rings.offer(topic, [from]);
    return { send: this.forwards(topic, event, hops + 1, from), delivered: { topic, event, hops } };
  }

  private forwards(topic: string, event: string, hops: number, from: PeerId | undefined): Outgoing[] {
    const ring = this.rings.ring(topic);
    if (!ring) return [];
    const message: OverlayMessage = { kind: 'event', topic, event, hops };
    const forwards = ringcastTargets(ring, from, this.fanout, this.random);
    if (forwards.length > 0) return forwards.map((f) => ({ to: f.targets[0], fallbacks: f.targets.slice(1), message }));
    return this.mayCarry(topic, from).map((to) => ({ to, message }));
  }

  /**
   * With an empty ring (a subscriber that has not found its ring yet), an event would
   * stop here: it goes instead to up to F nodes of the views whose profiles may carry the
   * topic, the similar ones first. A node that does not carry it drops it; one that does
   * relays it on its own ring, and learns of this node from it.
   */
  private mayCarry(topic: string, from: PeerId | undefined): PeerId[] {
    const key = this.keys.find((k) => k.topic === topic);
    const out: PeerId[] = [];
    if (!key) return out;
    for (const id of this.possibleCarriers(key)) {
      if (out.length >= this.fanout) break;
      if (id !== from && !out.includes(id)) out.push(id);
    }
    return out;
  }

  /**
   * View members whose profiles may carry the topic (VICINITY's first: the similar ones),
   * except those that said they do not; a node in both views comes twice.
   */
  private *possibleCarriers(key: TopicKey): Generator<PeerId> {
    const refused = this.notCarried.get(key.topic);
    for (const view of [this.vicinity.peers(), this.cyclon.peers()]) {
      for (const d of view) if (d.profile.mightContain(key) && !refused?.has(d.id)) yield d.id;
    }
  }

  /** Records that `id` said it does not carry `topic`, so it is not probed again. */
  private notCarrying(id: PeerId, topic: string): void {
    let refused = this.notCarried.get(topic);
    if (!refused) this.notCarried.set(topic, (refused = new Set()));
    if (refused.size >= 1024) refused.clear(); // bounded: a forgotten one is at worst probed again
    refused.add(id);
    this.rings.ring(topic)?.remove(id);
  }
}
