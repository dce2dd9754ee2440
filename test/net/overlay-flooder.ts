/**
 * A hostile broker for the overlay process test: it speaks /weft/overlay/1 with valid
 * signed envelopes, but floods honest brokers with CYCLON shuffles that name only itself
 * and made-up brokers (sybils) with the profile of the given topics, to push honest
 * brokers out of their views.
 */
import { encodeOverlayEnvelope } from '../../protocol/src/broker/index.js';
import { publicKeyToText, randomBytes, signingKeyPairFromSeed } from '../../protocol/src/crypto/index.js';
import { encodeOverlayMessage, Profile, topicKey, type Descriptor } from '../../protocol/src/overlay/index.js';
import { OVERLAY_PROTOCOL } from '../../protocol/runtime/broker-overlay.js';
import { createTransport, type Transport } from '../../protocol/transport/index.js';

export class OverlayFlooder {
  readonly sybils: string[];
  private constructor(
    private readonly transport: Transport,
    private readonly seed: Uint8Array,
    private readonly profile: Profile,
  ) {
    this.sybils = Array.from({ length: 64 }, () => publicKeyToText(randomBytes(32)));
  }

  static async start(topicsHex: readonly string[]): Promise<OverlayFlooder> {
    const seed = randomBytes(32);
    const transport = createTransport({ identitySeed: seed, listen: ['/ip4/127.0.0.1/tcp/0'] });
    await transport.start();
    return new OverlayFlooder(transport, seed, Profile.fromTopics(topicsHex.map(topicKey)));
  }

  get id(): string {
    return publicKeyToText(this.transport.publicKey);
  }

  /**
   * Sends `messages` shuffles to the broker at `addr`; resolves once the broker closed the
   * channel (it banned us: every frame was read) or after `waitMs`. Returns how many were sent.
   */
  async flood(addr: string, messages: number, waitMs = 30_000): Promise<number> {
    const peer = await this.transport.dial(addr);
    const channel = await this.transport.openChannel(peer.publicKey, OVERLAY_PROTOCOL);
    const key = signingKeyPairFromSeed(this.seed);
    let sent = 0;
    for (let i = 0; i < messages && !channel.closed; i++) {
      const descriptors: Descriptor[] = [{ id: this.id, age: 0, profile: this.profile }];
      for (let j = 0; j < 31; j++) descriptors.push({ id: this.sybils[(i * 31 + j) % this.sybils.length]!, age: 0, profile: this.profile });
      const message = encodeOverlayMessage({ kind: 'cyclon-request', descriptors });
      const frame = encodeOverlayEnvelope({ sender: key.publicKey, addresses: this.transport.addresses(), message, hints: [], payload: new Uint8Array(0) }, key.secretKey);
      await channel.send(frame).then(() => sent++, () => undefined);
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      channel.onClose(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await channel.close().catch(() => {});
    return sent;
  }

  async stop(): Promise<void> {
    await this.transport.stop().catch(() => {});
  }
}
