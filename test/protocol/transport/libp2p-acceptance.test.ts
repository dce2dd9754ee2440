/** The transport acceptance suite over libp2p: loopback TCP, two transports in this process. */
import { transportAcceptance } from './transport-acceptance.js';
import { TransportPool, seedFor } from './helpers.js';
import { peerIdFromWeftKey } from '../../../protocol/transport/peer-key.js';
import { signingKeyPairFromSeed } from '../../../protocol/src/crypto/index.js';

/**
 * What a sender may have handed over while the reader reads nothing: the channel's
 * inbox high water (1 MiB) + the yamux window (4 MiB) + a batch + the loopback
 * sockets' buffers; about 5 MiB measured here, and flow.test.ts holds the lead below 12 MiB too.
 */
const LIBP2P_BUFFERED_BYTES = 12 * 1024 * 1024;
/** No send resolved for this long: the sender is taken to have stopped (a window, not a wait for an outcome). */
const QUIET_MS = 300;

transportAcceptance('libp2p over loopback TCP', async () => {
  const pool = new TransportPool();
  // port 1 on loopback: nothing listens there, so the dial is refused
  const nobody = peerIdFromWeftKey(signingKeyPairFromSeed(seedFor('nobody')).publicKey).toString();
  return {
    started: (name) => pool.started(name, { listen: ['/ip4/127.0.0.1/tcp/0'], dialTimeoutMs: 5000 }),
    unknownAddress: `/ip4/127.0.0.1/tcp/1/p2p/${nobody}`,
    quiet: () => new Promise((resolve) => setTimeout(resolve, QUIET_MS)),
    maxBufferedBytes: LIBP2P_BUFFERED_BYTES,
    cleanup: () => pool.stopAll(),
  };
});
