/**
 * Who may hold a relay slot on this broker (issue 19). The broker's relay (circuit relay
 * v2, protocol/transport/relay-server.ts) asks admit(peer) when a peer wants a slot; the
 * answer comes from the broker's RELAYREQ check (protocol/src/broker/broker.ts: a topic
 * signature, naming the peer, of a topic this broker carries) or the operator's allowlist
 * of peer keys. A peer's grant lasts while one of its granted channels is open.
 *
 * The reservation and the RELAYREQ travel on different streams, so either may come
 * first: admit() waits for a decision up to `waitMs`, then refuses. Every refusal is
 * logged with its reason (the operator's view of who was turned away and why).
 */
import { publicKeyToText, toHex } from '../src/crypto/index.js';
import type { ChannelId, RelayDecision } from '../src/broker/index.js';
import type { Clock } from '../src/ports/clock.js';

export const DEFAULT_RELAY_ADMIT_WAIT_MS = 5_000;

export interface RelayGateInit {
  clock: Clock;
  /** Peer keys that may hold a slot without a RELAYREQ (`weft broker --relay-allow KEY`). */
  allow?: readonly Uint8Array[];
  /** How long admit() waits for the peer's RELAYREQ. Default 5 s: well inside the 10 s a client gives its reservation, so a refused peer hears the refusal, not its own timeout. */
  waitMs?: number;
  log: (level: 'info' | 'warn', text: string) => void;
}

/** What status.json says of the relay's gate. */
export interface RelayGateStatus {
  /** Peers granted now (an open channel whose RELAYREQ was valid, or allowlisted and seen). */
  admitted: number;
  /** Reservations refused since start. */
  refused: number;
}

type Waiter = (granted: boolean, reason: string) => void;

export class RelayGate {
  private readonly allow: Set<string>;
  /** Granted peers (hex) and the channels that carry their grant. */
  private readonly granted = new Map<string, Set<ChannelId>>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private refusedCount = 0;

  constructor(private readonly init: RelayGateInit) {
    this.allow = new Set((init.allow ?? []).map(toHex));
  }

  /** The relay's question: may this peer reserve a slot? */
  admit(peer: Uint8Array): Promise<boolean> {
    const hex = toHex(peer);
    if (this.allow.has(hex) || this.granted.has(hex)) return Promise.resolve(true);
    const waitMs = this.init.waitMs ?? DEFAULT_RELAY_ADMIT_WAIT_MS;
    return new Promise((resolve) => {
      let set = this.waiters.get(hex);
      if (!set) this.waiters.set(hex, (set = new Set()));
      const waiter: Waiter = (granted, reason) => {
        cancel();
        set.delete(waiter);
        if (set.size === 0) this.waiters.delete(hex);
        if (!granted) this.refuse(hex, reason);
        resolve(granted);
      };
      const cancel = this.init.clock.after(waitMs, () => waiter(false, `no RELAYREQ with a valid topic signature of a topic this broker carries within ${waitMs} ms`));
      set.add(waiter);
    });
  }

  /** The broker decided a RELAYREQ. */
  decided(d: RelayDecision): void {
    if (d.granted) {
      let channels = this.granted.get(d.peer);
      if (!channels) {
        this.granted.set(d.peer, (channels = new Set()));
        this.init.log('info', `${d.channel}: relay: ${short(d.peer)} may reserve a slot (${d.reason})`);
      }
      channels.add(d.channel);
    }
    for (const w of [...(this.waiters.get(d.peer) ?? [])]) w(d.granted, d.reason);
    if (!d.granted && !this.waiters.has(d.peer)) this.init.log('warn', `${d.channel}: relay: ${short(d.peer)}'s RELAYREQ refused: ${d.reason}`);
  }

  /** A channel closed: grants it carried end (a slot already held is freed by the transport on disconnect). */
  channelClosed(channel: ChannelId): void {
    for (const [peer, channels] of this.granted) if (channels.delete(channel) && channels.size === 0) this.granted.delete(peer);
  }

  /** Refuses every waiting reservation (the broker stops). */
  stop(): void {
    for (const [, set] of this.waiters) for (const w of [...set]) w(false, 'the broker is stopping');
  }

  status(): RelayGateStatus {
    return { admitted: this.granted.size, refused: this.refusedCount };
  }

  private refuse(hex: string, reason: string): void {
    this.refusedCount++;
    this.init.log('warn', `relay: refused a reservation for ${short(hex)}: ${reason}`);
  }
}

function short(hex: string): string {
  try {
    return publicKeyToText(Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16))).slice(0, 16);
  } catch {
    return hex.slice(0, 16);
  }
}
