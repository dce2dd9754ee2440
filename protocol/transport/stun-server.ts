/**
 * A minimal STUN server (RFC 5389 Binding only) beside a broker's listen addresses (issue
 * 19). Two teammates behind NATs connect directly over WebRTC only if each learns its
 * public (server-reflexive) address and port: a STUN server on the public side tells it.
 * Teammates already reach their broker, so the broker answers, on UDP at the same address
 * and port as its TCP listener: a team needs no third-party STUN service.
 *
 * Wire (RFC 5389 section 6): a 20-byte header (u16 type, u16 length of the attributes,
 * u32 magic cookie 0x2112A442, 12-byte transaction id), then attributes (u16 type, u16
 * length, value padded to 4 bytes). A Binding request (type 0x0001) is answered by a
 * Binding success response (0x0101) with the same transaction id, XOR-MAPPED-ADDRESS
 * (0x0020: u8 0, u8 family 1 (IPv4) / 2 (IPv6), port ^ 0x2112, address ^ cookie (IPv6:
 * ^ cookie || transaction id)) and FINGERPRINT (0x8028: CRC-32 of what precedes ^
 * 0x5354554E). Anything else is dropped: the server never answers what it cannot parse,
 * and sends one small datagram per request (an amplification factor below 2).
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { crc32 } from 'node:zlib';

const MAGIC = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const XOR_MAPPED_ADDRESS = 0x0020;
const FINGERPRINT = 0x8028;
const HEADER_BYTES = 20;
/** Requests larger than this are not Binding requests we answer (a browser's is under 100 bytes). */
const MAX_REQUEST_BYTES = 548;

/** The Binding success response to `request` from `address:port`, or undefined when it is not a Binding request. */
export function stunResponse(request: Uint8Array, address: string, port: number): Uint8Array | undefined {
  if (request.length < HEADER_BYTES || request.length > MAX_REQUEST_BYTES) return undefined;
  const view = new DataView(request.buffer, request.byteOffset, request.byteLength);
  if (view.getUint16(0) !== BINDING_REQUEST || view.getUint32(4) !== MAGIC) return undefined;
  if (view.getUint16(2) !== request.length - HEADER_BYTES || (request.length & 3) !== 0) return undefined;
  const txid = request.subarray(8, 20);
  const v4 = isIPv4(address);
  const ip = v4 ? address.split('.').map(Number) : ipv6Bytes(address);
  if (ip === undefined) return undefined;
  const mapped = 4 + ip.length;
  const out = new Uint8Array(HEADER_BYTES + 4 + mapped + 8);
  const w = new DataView(out.buffer);
  w.setUint16(0, BINDING_SUCCESS);
  w.setUint16(2, out.length - HEADER_BYTES);
  w.setUint32(4, MAGIC);
  out.set(txid, 8);
  let at = HEADER_BYTES;
  w.setUint16(at, XOR_MAPPED_ADDRESS);
  w.setUint16(at + 2, mapped);
  w.setUint8(at + 5, v4 ? 1 : 2);
  w.setUint16(at + 6, port ^ (MAGIC >>> 16));
  const mask = out.subarray(4, 20); // cookie || transaction id
  for (let i = 0; i < ip.length; i++) out[at + 8 + i] = ip[i]! ^ mask[i]!;
  at += 4 + mapped;
  w.setUint16(at, FINGERPRINT);
  w.setUint16(at + 2, 4);
  w.setUint32(at + 4, (crc32(out.subarray(0, at)) ^ 0x5354554e) >>> 0);
  return out;
}

function ipv6Bytes(address: string): number[] | undefined {
  const [head = '', tail] = address.split('::');
  const part = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  const a = part(head);
  const b = tail === undefined ? [] : part(tail);
  const groups = tail === undefined ? a : [...a, ...Array<number>(8 - a.length - b.length).fill(0), ...b];
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return undefined;
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** A STUN server on one UDP address; close() stops it. */
export class StunServer {
  private constructor(private readonly socket: Socket) {}

  /** Binds `host:port` (UDP) and answers Binding requests. Rejects when the address is taken. */
  static listen(host: string, port: number): Promise<StunServer> {
    const socket = createSocket(isIPv4(host) ? 'udp4' : 'udp6');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        // A send that fails (an unreachable asker) must not take the broker down.
        socket.on('error', () => undefined);
        socket.on('message', (msg, rinfo) => {
          const reply = stunResponse(msg, rinfo.address, rinfo.port);
          if (reply) socket.send(reply, rinfo.port, rinfo.address);
        });
        resolve(new StunServer(socket));
      });
    });
  }

  /** The UDP port it listens on. */
  port(): number {
    return this.socket.address().port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/**
 * STUN servers for WebRTC from the brokers' multiaddrs: every broker answers STUN on UDP at
 * its TCP listen addresses, same host and port. IPv4 and DNS names (ICE resolves those).
 */
export function stunServersOf(brokerAddrs: readonly string[]): string[] {
  const out = new Set<string>();
  for (const a of brokerAddrs) {
    const m = /^\/(?:ip4|dns|dns4)\/([^/]+)\/tcp\/(\d+)(\/|$)/.exec(a);
    if (m) out.add(`stun:${m[1]}:${m[2]}`);
  }
  return [...out];
}
