/**
 * Protocol ids: one per Weft protocol, `/weft/<name>/<version>`, e.g.
 * `/weft/sync/1`. The prefix keeps our handlers apart from libp2p's own
 * protocols (identify, ping), which a handler must never replace.
 */
import { TransportStateError } from './transport-errors.js';

const PROTOCOL_ID = /^\/weft\/[a-z0-9][a-z0-9._-]{0,63}\/[0-9]{1,6}$/;

export function weftProtocolId(name: string, version = 1): string {
  return checkProtocolId(`/weft/${name}/${version}`);
}

export function checkProtocolId(protocol: string): string {
  if (!PROTOCOL_ID.test(protocol)) {
    throw new TransportStateError(`protocol id must look like /weft/<name>/<version>, got ${JSON.stringify(protocol)}`);
  }
  return protocol;
}
