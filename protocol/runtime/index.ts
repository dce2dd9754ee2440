/**
 * The runtime's entry point: what the extension, the `weft` command, the benchmarks and
 * tools/ use of the peer runtime and chunk transfer. BrokerServer is wired up by
 * protocol/platform (NodeBroker), so it is not here.
 */
export {
  PeerRuntime,
  describeGarbageCollection,
  ObjectUnavailableError,
  FetchAbortedError,
  ShareKeysMissingError,
  type PeerAddress,
  type PeerStatus,
  type RetryingDial,
  type RefusedCommit,
} from './peer-runtime.js';
export { collectShareGarbage } from './peer-gc.js';
export { serveChunks, fetchObjectFrom } from './chunk-transfer.js';
export { describeConnection, summariseConnections, type TeammateConnection } from './teammate-connection.js';
