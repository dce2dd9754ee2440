/**
 * How we reach one teammate, and the words for it: `weft peer status`, the status bar and
 * the panel say the same thing (issue 19), so they all describe it here.
 */

/** How we reach one teammate now. */
export interface TeammateConnection {
  /** The teammate's public key (hex). */
  readonly member: string;
  readonly name: string;
  /** direct: a connection of our own (LAN, or an address it can be dialled at); relayed: through a broker's relay. */
  readonly connection: 'direct' | 'relayed' | 'none';
  /** With 'direct': the connection is WebRTC, a UDP path punched through both NATs (signalled through a relay). */
  readonly webrtc?: boolean;
  /** With 'relayed': the relay's (broker's) public key, hex. */
  readonly via?: string;
  /** With 'relayed': the broker's address as we dialled it, when we did (not when it dialled us). */
  readonly viaAddr?: string;
}

/** What the words need of a connection: `via` is the broker as the reader should see it (its key in some form, or its host). */
export type ConnectionWords = Pick<TeammateConnection, 'connection' | 'webrtc' | 'via'>;

/** "direct", "direct (WebRTC through the NATs)", "relayed through broker X" or "not connected". */
export function describeConnection(t: ConnectionWords): string {
  switch (t.connection) {
    case 'direct':
      return t.webrtc ? 'direct (WebRTC through the NATs)' : 'direct';
    case 'relayed':
      return `relayed through broker ${t.via ?? '(unknown)'}`;
    case 'none':
      return 'not connected';
  }
}

/** Counts by kind, e.g. "1 direct, 2 relayed, 1 not connected" (kinds with none left out); '' for no teammates. */
export function summariseConnections(teammates: readonly Pick<TeammateConnection, 'connection'>[]): string {
  const count = (kind: TeammateConnection['connection']): number => teammates.filter((t) => t.connection === kind).length;
  const parts: string[] = [];
  if (count('direct')) parts.push(`${count('direct')} direct`);
  if (count('relayed')) parts.push(`${count('relayed')} relayed`);
  if (count('none')) parts.push(`${count('none')} not connected`);
  return parts.join(', ');
}
