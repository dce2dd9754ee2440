/**
 * Junk on the wire, for the dishonest mix (dishonest-scenario.ts): what a member's key can
 * send that no honest node sends. The dishonest member opens channels of its own (from its
 * node's transport, so they are authenticated as that member) to brokers and teammates,
 * says HELLO and SUBSCRIBE like a peer, then sends every frame of `junkFrames` and closes.
 * Receivers must drop each one (or close the channel) and carry on: nothing here may make
 * an honest node throw, stop merging, or lose a commit.
 */
import { generateSigningKeyPair, sign, toHex, type RandomSource, type SigningKeyPair } from '../src/crypto/index.js';
import { createCommit, type CommitEnvelope } from '../src/log/commit.js';
import { commitIdFromBytes, type CommitId } from '../src/log/ids.js';
import { encodeWire, keysSignedBytes, MAX_TOPICS, MAX_WANT, PUBSUB_PROTOCOL, WIRE_KIND, WIRE_VERSION } from '../src/multicast/wire.js';
import type { EpochKeys } from '../src/share/keys.js';
import type { FileId } from '../src/share/manifest.js';
import { encodePayload } from '../src/share/payload.js';
import type { MemoryTransport } from './memory-network.js';
import type { Simulation } from './simulation.js';

export interface JunkInput {
  readonly sim: Simulation;
  readonly bytes: RandomSource;
  readonly me: SigningKeyPair;
  /** The share's topics (newest first) and the epoch the member writes on. */
  readonly topics: Uint8Array[];
  readonly epoch: EpochKeys;
  /** Some commit of the share (to tamper with), and the heads (to build on). */
  readonly sample: CommitEnvelope | undefined;
  readonly heads: readonly CommitId[];
  /** Teammates' keys (KEYS and KEYREQ naming them). */
  readonly teammates: readonly Uint8Array[];
}

/** SUBSCRIBE to as many made-up topics as a stream may name (a broker carries each to its peer brokers). */
export function topicFlood(bytes: RandomSource): Uint8Array {
  return encodeWire({ type: 'subscribe', topics: Array.from({ length: MAX_TOPICS }, () => bytes(32)) });
}

/** Bytes above every node's frame limit (4 MiB): the sender's transport must allow them. */
export const OVERSIZED_FRAME_BYTES = (4 << 20) + 1024;

/** The frames, shuffled by the seed. */
export function junkFrames(input: JunkInput): Uint8Array[] {
  const { sim, bytes, me, topics, epoch } = input;
  const topic = topics[0] ?? epoch.topic;
  const randomIds = (n: number) => Array.from({ length: n }, () => commitIdFromBytes(bytes(32)));
  const writerTopic = { publicKey: epoch.topic, secretKey: epoch.topicSecret! };
  const frames: Uint8Array[] = [
    bytes(sim.below(300)),
    Uint8Array.of(WIRE_KIND, WIRE_VERSION, 99, 1, 2, 3),
    Uint8Array.of(WIRE_KIND, WIRE_VERSION + 7, 5),
    encodeWire({ type: 'event', commit: bytes(40 + sim.below(400)) }),
    encodeWire({ type: 'want', topic, ids: randomIds(MAX_WANT) }),
    encodeWire({ type: 'sync', topics, message: bytes(10 + sim.below(200)) }),
    encodeWire({ type: 'subscribe', topics: [bytes(32), bytes(32)] }),
    encodeWire({ type: 'presence', topic, payload: bytes(100) }),
    encodeWire({ type: 'ack', id: randomIds(1)[0]! }),
    encodeWire({ type: 'chunkwant', ids: Array.from({ length: 64 }, () => bytes(32)) }),
    encodeWire({ type: 'chunk', id: bytes(32), bytes: bytes(1000) }),
    encodeWire({ type: 'keyreq', topic, member: sim.pick(input.teammates) }),
    encodeWire({ type: 'error', code: 'internal', reason: 'junk' }),
  ];
  // KEYS for a teammate: junk boxes, once with a bad signature and once signed with the topic key the member holds.
  const member = sim.pick(input.teammates);
  const boxes = [bytes(120), bytes(60)];
  frames.push(encodeWire({ type: 'keys', topic, member, boxes, signature: bytes(64) }));
  frames.push(encodeWire({ type: 'keys', topic: epoch.topic, member, boxes, signature: sign(epoch.topicSecret!, keysSignedBytes(member, boxes)) }));
  // Commits: a tampered one (bad topic signature), one on the share's topic that no key
  // opens, one on a topic of the member's own making, one with 256 made-up dependencies,
  // and one above the commit size limit (signed and valid otherwise).
  if (input.sample) {
    const tampered = input.sample.bytes.slice();
    tampered[tampered.length - 70] ^= 0x20;
    frames.push(encodeWire({ type: 'event', commit: tampered }));
  }
  const payload = encodePayload([]);
  frames.push(encodeWire({ type: 'event', commit: createCommit({ topic: writerTopic, epochKey: bytes(32), author: me, deps: input.heads, payload, random: bytes }).bytes }));
  const ownTopic = generateSigningKeyPair(bytes);
  frames.push(encodeWire({ type: 'event', commit: createCommit({ topic: ownTopic, epochKey: bytes(32), author: me, deps: input.heads, payload, random: bytes }).bytes }));
  frames.push(encodeWire({ type: 'event', commit: createCommit({ topic: writerTopic, epochKey: epoch.key, author: me, deps: randomIds(256), payload, random: bytes }).bytes }));
  const huge = encodePayload([{ type: 'text', file: toHex(bytes(16)) as FileId, ops: bytes(1_100_000) }]);
  frames.push(encodeWire({ type: 'event', commit: createCommit({ topic: writerTopic, epochKey: epoch.key, author: me, deps: input.heads, payload: huge, random: bytes }).bytes }));
  for (let i = frames.length - 1; i > 0; i--) {
    const j = sim.below(i + 1);
    [frames[i], frames[j]] = [frames[j]!, frames[i]!];
  }
  // Last: a frame above the receiver's limit (it closes the channel).
  frames.push(new Uint8Array(OVERSIZED_FRAME_BYTES));
  return frames;
}

/**
 * Opens a channel from `transport` to `target`, speaks like a peer (HELLO, SUBSCRIBE), sends
 * `frames` one by one (awaiting flow control), reads and drops whatever comes back, and
 * closes. Resolves when done or when the other side closed first; never rejects.
 */
export async function sendJunk(transport: MemoryTransport, target: { addr: string; publicKey: Uint8Array }, topics: Uint8Array[], frames: readonly Uint8Array[]): Promise<number> {
  let sent = 0;
  try {
    await transport.dial(target.addr);
    const channel = await transport.openChannel(target.publicKey, PUBSUB_PROTOCOL);
    void (async () => {
      for await (const frame of channel.frames()) void frame; // drain: a reader that never reads would hold the sender up
    })().catch(() => undefined);
    await channel.send(encodeWire({ type: 'hello', role: 'peer', software: 'weft/0.1.0' }));
    await channel.send(encodeWire({ type: 'subscribe', topics }));
    for (const frame of frames) {
      if (channel.closed) break;
      await channel.send(frame);
      sent++;
    }
    await channel.close();
  } catch {
    // Unreachable, partitioned, or the receiver closed the channel: what a junk sender meets.
  }
  return sent;
}
