/**
 * Transport entry point: the only way the rest of Weft reaches the network.
 * The polyfills come first so they are in place before any libp2p code runs.
 */
import './polyfills.js';

export { createTransport, DEFAULT_LISTEN, DEFAULT_DIAL_TIMEOUT_MS, DEFAULT_MDNS_SERVICE_TAG } from './libp2p-transport.js';
export { peerIdFromWeftKey } from './peer-key.js';
export { weftProtocolId, checkProtocolId } from '../src/ports/protocol-id.js';
export { DEFAULT_MAX_FRAME_BYTES } from '../src/ports/frame-limits.js';
export {
  TransportError,
  FrameTooLargeError,
  FrameFormatError,
  ChannelClosedError,
  ChannelResetError,
  DialError,
  TransportStateError,
  InvalidPeerKeyError,
} from '../src/ports/transport-errors.js';
export type { TransportInit, MdnsOptions } from './libp2p-transport.js';
export {
  DEFAULT_RELAY_MAX_RESERVATIONS,
  DEFAULT_RELAY_RESERVATION_MS,
  DEFAULT_RELAY_CONNECTION_BYTES,
  DEFAULT_RELAY_CONNECTION_MS,
} from './relay-server.js';
export type { RelayServerOptions } from './relay-server.js';
export type {
  Transport,
  TransportEvents,
  FrameChannel,
  PeerInfo,
  ChannelErrorInfo,
} from '../src/ports/transport.js';
export { stunServersOf } from './stun-server.js';
