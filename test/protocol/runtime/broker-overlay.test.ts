/**
 * The broker's overlay adapter (protocol/runtime/broker-overlay.ts) over the in-memory
 * transport, on virtual time: what it does with a signed envelope whose message is of a
 * kind it does not know (dropped, counted, not a ban), with junk (a ban), and with a burst
 * of shuffles (the guard's bucket, BROKER_GUARD: 120, all read in one instant, bans).
 */
import assert from 'node:assert/strict';
import { decodeOverlayEnvelope, encodeOverlayEnvelope } from '../../../protocol/src/broker/index.js';
import { publicKeyToText, signingKeyPairFromSeed } from '../../../protocol/src/crypto/index.js';
import { decodeOverlayMessage, encodeOverlayMessage, OVERLAY_KIND, Profile, type OverlayMessage } from '../../../protocol/src/overlay/index.js';
import { BrokerOverlay, BROKER_GUARD, OVERLAY_PROTOCOL } from '../../../protocol/runtime/broker-overlay.js';
import { MemoryNetwork, type MemoryTransport } from '../../../protocol/sim/memory-network.js';
import type { FrameChannel } from '../../../protocol/src/ports/transport.js';
import { prng } from '../../../protocol/sim/prng.js';
import { DrivenClock } from '../transport/driven-clock.js';
import { nextFrame, reader, seedFor } from '../transport/helpers.js';

/** A node that speaks the overlay protocol to the broker by hand: valid signed envelopes around any message bytes. */
class HandSender {
  private constructor(
    readonly transport: MemoryTransport,
    private readonly secretKey: Uint8Array,
    readonly channel: FrameChannel,
  ) {}

  static async connect(network: MemoryNetwork, name: string, broker: MemoryTransport): Promise<HandSender> {
    const key = signingKeyPairFromSeed(seedFor(name));
    const transport = network.createTransport({ publicKey: key.publicKey, name });
    await transport.start();
    await transport.dial(broker.address);
    return new HandSender(transport, key.secretKey, await transport.openChannel(broker.publicKey, OVERLAY_PROTOCOL));
  }

  get id(): string {
    return publicKeyToText(this.transport.publicKey);
  }

  send(message: Uint8Array): Promise<void> {
    return this.channel.send(encodeOverlayEnvelope({ sender: this.transport.publicKey, addresses: this.transport.addresses(), message, hints: [], payload: new Uint8Array(0) }, this.secretKey));
  }
}

describe('runtime: the broker overlay adapter', () => {
  const clock = new DrivenClock();
  const network = new MemoryNetwork({ clock });
  let broker: MemoryTransport;
  let overlay: BrokerOverlay;
  const logs: string[] = [];

  before(async () => {
    const key = signingKeyPairFromSeed(seedFor('broker'));
    broker = network.createTransport({ publicKey: key.publicKey, name: 'broker' });
    overlay = new BrokerOverlay({ transport: broker, secretKey: key.secretKey, clock, random: prng(1), bootstrap: [], topics: [], periodMs: 1000, deliver: () => true, log: (_level, text) => logs.push(text) });
    overlay.listen();
    await broker.start();
  });
  after(async () => {
    await overlay.stop();
    await broker.stop();
    await clock.idle();
  });

  const profile = Profile.fromTopics([]);
  const describeSelf = (sender: HandSender): OverlayMessage => ({ kind: 'descriptor-request', descriptors: [{ id: sender.id, age: 0, profile }] });

  it('drops a message of a kind it does not know without a ban, then answers the same sender', async () => {
    const newer = await HandSender.connect(network, 'newer', broker);
    await newer.send(new Uint8Array([OVERLAY_KIND, 2, 11, 1, 2, 3]));
    await newer.send(encodeOverlayMessage(describeSelf(newer)));
    const frame = await nextFrame(reader(newer.channel));
    const answer = decodeOverlayMessage(decodeOverlayEnvelope(frame, broker.publicKey, broker.maxFrameBytes).message);
    assert.equal(answer.kind, 'descriptor-response');
    const status = overlay.status();
    assert.equal(status.banned, 0, logs.join('\n'));
    assert.equal(status.unsupported, 1);
    assert.ok(logs.some((l) => /sent an overlay message with tag 11/.test(l)), logs.join('\n'));
  });

  it('bans a sender of junk', async () => {
    const junk = await HandSender.connect(network, 'junk', broker);
    const before = overlay.status().banned;
    await junk.send(new Uint8Array([OVERLAY_KIND, 1, 0]));
    await clock.idle();
    assert.equal(overlay.status().banned, before + 1);
    assert.ok(overlay.node.guard.isBanned(junk.id));
  });

  it('bans a burst of shuffles read at once past the bucket (120), and not before', async () => {
    // Virtual time moves a millisecond a packet: the bucket refills by less than one in the burst.
    const flooder = await HandSender.connect(network, 'flooder', broker);
    const shuffle = encodeOverlayMessage({ kind: 'cyclon-request', descriptors: [{ id: flooder.id, age: 0, profile }] });
    const bucket = BROKER_GUARD.maxGossipPerRound * BROKER_GUARD.burstRounds;
    for (let i = 0; i < bucket; i++) await flooder.send(shuffle);
    await clock.idle();
    assert.ok(!overlay.node.guard.isBanned(flooder.id), `${bucket} at once fit the bucket`);
    for (let i = 0; i < 3 && !overlay.node.guard.isBanned(flooder.id); i++) {
      await flooder.send(shuffle);
      await clock.idle();
    }
    assert.ok(overlay.node.guard.isBanned(flooder.id), 'a few more are over it');
  });
});
