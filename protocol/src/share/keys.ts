/**
 * Key epochs and key boxes.
 *
 * An epoch is a topic key pair (pub/sub identity, signs every event) and a symmetric
 * epoch key (XChaCha20-Poly1305, encrypts every commit body). A key box is a list of
 * epochs sealed to one member's Ed25519 key (crypto sealTo), so only that member can
 * open it; writers get the topic secret too, readers only the public key.
 *
 * Key box plaintext (version 1): u8 version, var n, n x (32 topic public key,
 * 32 epoch key, u8 has-secret, [32 topic secret seed]). AAD = share id.
 */
import { ByteReader, ByteWriter } from '../codec/bytes.js';
import { DecodeError, decodeSafely } from '../codec/errors.js';
import { openSealed, sealTo, toHex, type RandomSource } from '../crypto/index.js';

export interface EpochKeys {
  readonly topic: Uint8Array;
  readonly key: Uint8Array;
  /** Present for members who may write (topic signing seed). */
  readonly topicSecret?: Uint8Array;
}

export function topicHex(topic: Uint8Array): string {
  return toHex(topic);
}

export function sealKeyBox(member: Uint8Array, shareId: Uint8Array, epochs: readonly EpochKeys[], withSecrets: boolean, random?: RandomSource): Uint8Array {
  const w = new ByteWriter(64 + epochs.length * 100);
  w.writeU8(1);
  w.writeVarUint(epochs.length);
  for (const e of epochs) {
    w.writeFixed(e.topic);
    w.writeFixed(e.key);
    const secret = withSecrets ? e.topicSecret : undefined;
    w.writeBool(secret !== undefined);
    if (secret) w.writeFixed(secret);
  }
  return sealTo(member, w.finish(), shareId, random);
}

/** Opens a key box addressed to us. Throws DecryptError (not ours / tampered) or DecodeError. */
export function openKeyBox(secretKey: Uint8Array, shareId: Uint8Array, box: Uint8Array): EpochKeys[] {
  const plain = openSealed(secretKey, box, shareId);
  return decodeSafely('key box', () => {
    const r = new ByteReader(plain);
    if (r.readU8() !== 1) throw new DecodeError('version', 'key box version');
    const n = r.readCount(10_000, 65, 'epochs');
    const out: EpochKeys[] = [];
    for (let i = 0; i < n; i++) {
      const topic = r.readFixed(32).slice();
      const key = r.readFixed(32).slice();
      const topicSecret = r.readBool() ? r.readFixed(32).slice() : undefined;
      out.push(topicSecret ? { topic, key, topicSecret } : { topic, key });
    }
    r.expectEnd('key box');
    return out;
  });
}
