/**
 * Teammates behind NATs (issue 19), for the peer runtime:
 * - Relay slots: once a broker link has joined and we hold the current topic key, we send
 *   the broker a RELAYREQ (a topic signature naming our own key: only then will its relay
 *   give us a slot) and reserve a slot on it (Transport.listenViaRelay). Our relayed
 *   address then reaches teammates in our signed presence.
 * - Teammate links: a teammate's presence carries where it can be dialled; of each pair,
 *   the side with the smaller key dials (as with mDNS, so one channel per pair), through
 *   any address, relayed ones included, and dials again whenever the channel ends, while
 *   the teammate is present. The channel is a multicast neighbour like any peer's. While
 *   only relayed, the dialler tries WebRTC again now and then, to become direct.
 * - How each teammate is connected, for status: direct, relayed through which broker, or not.
 */
import { fromHex, sign, toHex } from '../src/crypto/index.js';
import { MAX_PRESENCE_ADDRESSES, presenceAddressProblem, type PresenceEntry } from '../src/multicast/presence.js';
import { PUBSUB_PROTOCOL, relaySignedBytes, type WireMessage } from '../src/multicast/wire.js';
import type { ShareReplica } from '../src/share/replica.js';
import type { FrameChannel, PeerInfo, Transport } from '../src/ports/transport.js';
import type { Random } from '../src/ports/clock.js';
import type { TeammateConnection } from './teammate-connection.js';

/** What the NAT helper needs of the runtime: its links, its clock and its work queue. */
export interface PeerNatHost {
  /** Off: no relay slots, no addresses in presence, no teammate dialling (status still says how teammates are reached). */
  readonly enabled: boolean;
  readonly transport: Transport;
  readonly replica: ShareReplica;
  readonly random: Random;
  stopped(): boolean;
  sleep(ms: number): Promise<void>;
  log(line: string): void;
  /** Our own key, hex. */
  meHex(): string;
  /** Open channels to a node, by its key (hex): ours and its. */
  channelsTo(remoteHex: string): FrameChannel[];
  /** Sends on a broker link (no-op when closed). */
  send(channel: FrameChannel, msg: WireMessage): void;
  /** Runs a channel as a link until it ends. */
  attach(channel: FrameChannel): Promise<void>;
  /** The teammates present now (presence table). */
  present(): PresenceEntry[];
  /** The address we dialled a broker at (hex key), if we did. */
  brokerAddress(hex: string): string | undefined;
}

/** Attempts at a relay slot on one broker link before giving up until it reconnects. */
const RELAY_ATTEMPTS = 4;
/** A relayed teammate: the first try for a direct path again, and the longest wait between tries. */
const UPGRADE_FIRST_MS = 2000;
const UPGRADE_MAX_MS = 60_000;

export class PeerNat {
  private readonly dialling = new Set<string>();
  /** Broker links joined before we held the topic key (a joiner merges the share after its keys come). */
  private readonly waitingForKey = new Map<FrameChannel, string>();

  constructor(private readonly host: PeerNatHost) {}

  /**
   * A broker link joined: ask for a relay slot on it. `addr` is the broker's address as we
   * dialled it (with /p2p/); without it (an inbound broker channel) there is nothing to reserve on.
   */
  async brokerJoined(channel: FrameChannel, addr: string | undefined): Promise<void> {
    const { transport, replica } = this.host;
    if (!this.host.enabled || addr === undefined || transport.listenViaRelay === undefined) return;
    const epoch = replica.currentEpoch();
    if (!epoch?.topicSecret) {
      // Readers never hold it; a joiner may, once the share's commits are merged (stateChanged()).
      if (!this.waitingForKey.has(channel)) this.host.log(`no relay slot on ${addr} yet: only members holding the share's topic key (writers) can ask a broker for one`);
      this.waitingForKey.set(channel, addr);
      return;
    }
    this.waitingForKey.delete(channel);
    let wait = 1000;
    for (let attempt = 1; attempt <= RELAY_ATTEMPTS && !channel.closed && !this.host.stopped(); attempt++) {
      this.host.send(channel, { type: 'relayreq', topic: epoch.topic, signature: sign(epoch.topicSecret, relaySignedBytes(epoch.topic, replica.me.publicKey)) });
      try {
        await transport.listenViaRelay(addr);
        this.host.log(`reserved a relay slot on broker ${addr}`);
        return;
      } catch (err) {
        if (channel.closed || this.host.stopped()) return;
        this.host.log(`no relay slot on broker ${addr} (attempt ${attempt}): ${message(err)}`);
        await this.host.sleep(Math.floor(wait / 2 + this.host.random() * wait));
        wait *= 2;
      }
    }
  }

  /** The share's state changed (merges, keys): broker links that waited for the topic key ask now. */
  stateChanged(): void {
    if (this.waitingForKey.size === 0 || !this.host.replica.currentEpoch()?.topicSecret) return;
    for (const [channel, addr] of [...this.waitingForKey]) {
      this.waitingForKey.delete(channel);
      if (!channel.closed) void this.brokerJoined(channel, addr);
    }
  }

  /** Our addresses for presence: at most 8, valid; LAN and public first, then relayed, loopback last. */
  presenceAddresses(): string[] {
    if (!this.host.enabled) return [];
    const rank = (a: string): number => (a.includes('/webrtc') ? 1 : a.includes('/p2p-circuit') ? 2 : /^\/(ip4\/127\.|ip6\/::1\/)/.test(a) ? 3 : 0);
    return this.host.transport
      .addresses()
      .filter((a) => presenceAddressProblem(a) === undefined)
      .map((a, i) => ({ a, r: rank(a), i }))
      .sort((x, y) => x.r - y.r || x.i - y.i)
      .slice(0, MAX_PRESENCE_ADDRESSES)
      .map((x) => x.a);
  }

  /** A teammate's presence arrived: dial it if it is ours to dial, present, and not connected. */
  teammateSeen(entry: PresenceEntry): void {
    const hex = entry.memberHex;
    if (!this.host.enabled || hex <= this.host.meHex() || this.dialling.has(hex) || this.host.stopped()) return;
    if (!entry.presence.addrs?.length || this.host.channelsTo(hex).length > 0) return;
    this.dialling.add(hex);
    void this.keepTeammateConnected(hex).finally(() => this.dialling.delete(hex));
  }

  /** Dials a teammate at its latest addresses until it leaves or we stop; again when the channel ends. */
  private async keepTeammateConnected(hex: string): Promise<void> {
    let backoff = 500;
    while (!this.host.stopped()) {
      const entry = this.host.present().find((e) => e.memberHex === hex);
      const addrs = entry?.presence.addrs ?? [];
      if (!entry || addrs.length === 0) return;
      if (this.host.channelsTo(hex).length > 0) {
        // Connected some other way (mDNS, an invitation's address): look again later.
        await this.host.sleep(5000);
        continue;
      }
      try {
        const info = await this.dial(addrs);
        if (toHex(info.publicKey) !== hex) throw new Error(`the peer at ${info.addr} is not ${entry.presence.name}`);
        const ch = await this.host.transport.openChannel(fromHex(hex), PUBSUB_PROTOCOL);
        if (this.host.stopped()) {
          void ch.close().catch(() => undefined);
          return;
        }
        backoff = 500;
        this.host.log(`connected to teammate ${entry.presence.name} (${describe(ch)})`);
        if (ch.relay !== undefined) void this.upgradeWhileRelayed(hex, ch);
        await this.host.attach(ch);
        if (!this.host.stopped()) this.host.log(`disconnected from teammate ${entry.presence.name}`);
      } catch (err) {
        if (this.host.stopped()) return;
        this.host.log(`cannot reach teammate ${entry.presence.name}: ${message(err)}`);
      }
      await this.host.sleep(Math.floor(backoff / 2 + this.host.random() * backoff));
      backoff = Math.min(backoff * 2, 10_000);
    }
  }

  /**
   * While a teammate is reached only through a relay, tries WebRTC again now and then
   * (after 2 s, then backing off to a minute): a failed attempt may have been passing, e.g.
   * the teammate's relay slot moving with its new address, or UDP blocked for a while. Once
   * direct, the transport closes the relayed connection, `ch` ends, and the dial loop opens
   * the channel again on the direct connection.
   */
  private async upgradeWhileRelayed(hex: string, ch: FrameChannel): Promise<void> {
    const dialAny = this.host.transport.dialAny?.bind(this.host.transport);
    let wait = UPGRADE_FIRST_MS;
    while (dialAny !== undefined) {
      await this.host.sleep(Math.floor(wait / 2 + this.host.random() * wait));
      if (ch.closed || this.host.stopped()) return;
      const entry = this.host.present().find((e) => e.memberHex === hex);
      const webrtc = (entry?.presence.addrs ?? []).filter((a) => a.includes('/webrtc'));
      if (!entry || webrtc.length === 0) return;
      try {
        await dialAny(webrtc);
        this.host.log(`teammate ${entry.presence.name} reached by WebRTC: leaving the relay`);
        return;
      } catch (err) {
        if (ch.closed || this.host.stopped()) return;
        this.host.log(`still relayed to teammate ${entry.presence.name}: ${message(err)}`);
        wait = Math.min(wait * 2, UPGRADE_MAX_MS);
      }
    }
  }

  /**
   * Dials a teammate: WebRTC first when it offers it (a direct path through both NATs,
   * signalled over the relay), else its other addresses together (direct ones before
   * relayed ones).
   */
  private async dial(addrs: readonly string[]): Promise<PeerInfo> {
    const t = this.host.transport;
    const webrtc = addrs.filter((a) => a.includes('/webrtc'));
    const others = addrs.filter((a) => !a.includes('/webrtc'));
    if (webrtc.length && t.dialAny) {
      try {
        return await t.dialAny(webrtc);
      } catch (err) {
        this.host.log(`no WebRTC connection to the teammate (${message(err)}); trying its other addresses`);
        if (others.length === 0) throw err;
      }
    }
    return t.dialAny ? t.dialAny(others) : t.dial(others[0]!);
  }

  /** How each present teammate is connected: its best channel (direct before relayed). */
  teammates(): TeammateConnection[] {
    return this.host.present().map((e) => {
      const channels = this.host.channelsTo(e.memberHex);
      const direct = channels.find((c) => c.relay === undefined);
      const relayed = channels.find((c) => c.relay !== undefined);
      const base = { member: e.memberHex, name: e.presence.name };
      if (direct) return { ...base, connection: 'direct', ...(direct.webrtc ? { webrtc: true } : {}) };
      if (relayed?.relay) {
        const via = toHex(relayed.relay);
        const viaAddr = this.host.brokerAddress(via);
        return { ...base, connection: 'relayed', via, ...(viaAddr !== undefined ? { viaAddr } : {}) };
      }
      return { ...base, connection: 'none' };
    });
  }
}

function describe(ch: FrameChannel): string {
  return ch.relay ? `relayed through broker ${toHex(ch.relay).slice(0, 12)}` : ch.webrtc ? 'direct, WebRTC' : 'direct';
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
