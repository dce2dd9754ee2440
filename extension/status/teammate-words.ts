/**
 * How a teammate is connected, in the words the status bar, the panel and "Weft: Show
 * Status" use: those of `weft peer status` (protocol/runtime/teammate-connection.ts), with
 * the broker named by the host we dialled it at (what the user typed in weft.brokers)
 * rather than by its key. No vscode import: unit-tested in plain mocha.
 */
import { describeConnection, type TeammateConnection } from '../../protocol/runtime/index.js';
import { fingerprint, fromHex } from '../../protocol/src/index.js';

export interface ConnectionView {
  how: TeammateConnection['connection'];
  /** e.g. "direct (WebRTC through the NATs)", "relayed through broker broker.example.org" */
  text: string;
}

/** The host part of a multiaddr (/dns4/<host>/..., /ip4/<host>/..., /ip6/<host>/...), if it has one. */
export function multiaddrHost(addr: string): string | undefined {
  return /^\/(?:ip4|ip6|dns|dns4|dns6|dnsaddr)\/([^/]+)/.exec(addr)?.[1];
}

/** The broker as a user knows it: its host when we dialled it, else its key's fingerprint. */
export function brokerLabel(t: Pick<TeammateConnection, 'via' | 'viaAddr'>): string | undefined {
  const host = t.viaAddr === undefined ? undefined : multiaddrHost(t.viaAddr);
  if (host !== undefined) return host;
  return t.via === undefined ? undefined : fingerprint(fromHex(t.via));
}

export function connectionView(t: TeammateConnection): ConnectionView {
  const via = brokerLabel(t);
  return { how: t.connection, text: describeConnection({ connection: t.connection, ...(t.webrtc ? { webrtc: true } : {}), ...(via !== undefined ? { via } : {}) }) };
}
