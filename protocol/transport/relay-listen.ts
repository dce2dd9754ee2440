/**
 * Listening through a relay after start (issue 19). libp2p listens on the addresses it
 * was created with; a peer learns which brokers will relay for it only later (once it
 * holds the share's keys and the broker granted its RELAYREQ), so this small libp2p
 * service hands the transport the node's transport manager, whose listen() reserves a
 * slot when given `<relay addr>/p2p-circuit`.
 */
import type { Multiaddr } from '@multiformats/multiaddr';

/** The one libp2p component this service needs (libp2p injects it by name). */
export interface RelayListenComponents {
  transportManager: { listen(addrs: Multiaddr[]): Promise<void> };
}

export class RelayListenService {
  constructor(private readonly components: RelayListenComponents) {}

  /** Listens on one more address (a `/p2p-circuit` one reserves a relay slot); rejects when it cannot. */
  listen(addr: Multiaddr): Promise<void> {
    return this.components.transportManager.listen([addr]);
  }
}
