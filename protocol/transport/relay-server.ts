/**
 * Circuit relay v2 on a broker (issue 19). A peer behind a NAT that nobody can dial
 * reserves a slot on a broker it can dial; teammates then reach it through the broker at
 * `<broker addr>/p2p/<broker id>/p2p-circuit/p2p/<peer id>`. The broker only splices two
 * streams together: the two ends run Noise between themselves inside the relayed stream,
 * so the broker carries ciphertext it cannot read, as it already does for stored events.
 *
 * What a stranger can make the broker do is bounded here: how many peers hold a slot, how
 * long a slot lasts unless renewed, and how much and how long one relayed connection may
 * carry before the relay resets it (the two peers then dial through the relay again, or
 * directly once they can). The defaults suit a team's broker; libp2p's own (15 slots,
 * 128 KiB and 2 minutes per connection) are sized for relays that only help two peers
 * find a direct path, while a Weft broker also carries teammates who have none (behind
 * NATs that defeat hole punching).
 *
 * Who may hold a slot is the broker's decision (`admit`, wired by node-broker.ts to the
 * broker's RELAYREQ check: a topic signature of a topic it carries, or its operator's
 * allowlist); the transport frees a slot as soon as its holder's last connection closes.
 */
import { circuitRelayServer } from '@libp2p/circuit-relay-v2';

/** A broker's relay limits (`weft broker --relay-*`, docs/BROKER.md). */
export interface RelayServerOptions {
  /** Peers holding a slot at once; more are refused (RESERVATION_REFUSED). Default 256. */
  maxReservations?: number;
  /**
   * How long a slot lasts unless its holder renews it (libp2p clients renew 5 minutes
   * before it ends). A slot is not freed when its holder disconnects, only when it ends,
   * so this bounds how long a peer that left keeps one. Default 30 minutes.
   */
  reservationMs?: number;
  /** Bytes one relayed connection may carry, both directions together, before it is reset. Default 64 MiB. */
  connectionBytes?: number;
  /** How long one relayed connection may stay open before it is reset. Default 30 minutes. */
  connectionMs?: number;
  /**
   * Decides whether a peer (its 32-byte public key) may reserve a slot; may take a while
   * (the broker waits for the peer's RELAYREQ). Default: everyone may.
   */
  admit?: (peer: Uint8Array) => Promise<boolean>;
}

export const DEFAULT_RELAY_MAX_RESERVATIONS = 256;
export const DEFAULT_RELAY_RESERVATION_MS = 30 * 60_000;
export const DEFAULT_RELAY_CONNECTION_BYTES = 64 * 1024 * 1024;
export const DEFAULT_RELAY_CONNECTION_MS = 30 * 60_000;

/** Relay handshakes (a reservation, a connect) must finish within this long. */
const HOP_TIMEOUT_MS = 15_000;

/** The libp2p service, with our defaults for whatever `options` leaves out. */
export function relayService(options: RelayServerOptions): ReturnType<typeof circuitRelayServer> {
  return circuitRelayServer({
    hopTimeout: HOP_TIMEOUT_MS,
    reservations: {
      maxReservations: positive('maxReservations', options.maxReservations ?? DEFAULT_RELAY_MAX_RESERVATIONS),
      reservationTtl: positive('reservationMs', options.reservationMs ?? DEFAULT_RELAY_RESERVATION_MS, MAX_TIMER_MS),
      applyDefaultLimit: true,
      // The relay enforces this in milliseconds (createLimitedRelay's timeout). It also sends
      // the number in the reservation's limit, where the spec reads seconds: a client is told a
      // longer limit than the one enforced, which only matters to a client that plans by it.
      defaultDurationLimit: positive('connectionMs', options.connectionMs ?? DEFAULT_RELAY_CONNECTION_MS, MAX_TIMER_MS),
      defaultDataLimit: BigInt(positive('connectionBytes', options.connectionBytes ?? DEFAULT_RELAY_CONNECTION_BYTES)),
    },
  });
}

/** Node's timers fire at once beyond this many milliseconds (about 24.8 days); the relay's expiries are timers. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function positive(name: string, n: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(n) || n <= 0 || n > max) throw new RangeError(`relay ${name} must be a positive integer up to ${max}, got ${n}`);
  return n;
}
