/**
 * Crypto throughput: what Weft's API uses against the obvious alternative, same process.
 *   crypto.ed25519_sign_per_s / _verify_per_s  weft = protocol/src/crypto sign()/verify()
 *       (node:crypto Ed25519 with cached KeyObjects, plus Weft's canonical-S and key checks);
 *       baseline 'noble' = @noble/curves ed25519.sign/verify called directly.
 *   crypto.blake3_mb_s  weft = hash() (BLAKE3, @noble/hashes) on 1 MiB; baseline node SHA-256.
 *   crypto.aead_mb_s    weft = encrypt() (XChaCha20-Poly1305: noble HChaCha20 + node:crypto
 *       chacha20-poly1305) on 1 MiB; baseline node:crypto chacha20-poly1305 (IETF, 12-byte
 *       nonce) on the same buffer, i.e. the cost of the X-variant and of our output layout.
 *       The pure-noble XChaCha20-Poly1305 is printed too, for reference.
 * Each figure: 1 warm-up, median of 7 runs.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { createCipheriv, createHash, randomBytes as nodeRandomBytes } from 'node:crypto';
import { encrypt, generateSigningKeyPair, hash, sign, verify, nobleAead, activeBackend } from '../protocol/src/index.js';
import { record, timeMedian } from './report.js';

const RUNS = 7;

async function perSecond(ops: number, fn: (i: number) => unknown): Promise<number> {
  const ms = await timeMedian(() => {
    for (let i = 0; i < ops; i++) fn(i);
  }, RUNS);
  return Math.round((ops / ms) * 1000);
}

async function mbPerSecond(buf: Uint8Array, reps: number, fn: (b: Uint8Array) => unknown): Promise<number> {
  const ms = await timeMedian(() => {
    for (let i = 0; i < reps; i++) fn(buf);
  }, RUNS);
  return Number(((buf.length * reps) / (1 << 20) / (ms / 1000)).toFixed(1));
}

export async function run(): Promise<void> {
  // Ed25519: 16 signers and 16 messages of 300 bytes (about a commit), rotated.
  const keys = Array.from({ length: 16 }, () => generateSigningKeyPair());
  const msgs = Array.from({ length: 16 }, () => new Uint8Array(nodeRandomBytes(300)));
  const sigs = keys.map((k, i) => sign(k.secretKey, msgs[i]!));
  const OPS = 2000;
  const note = `weft backend: ${activeBackend().name}; 16 keys, 300-byte messages, ${OPS} ops per run`;

  const weftSign = await perSecond(OPS, (i) => sign(keys[i & 15]!.secretKey, msgs[i & 15]!));
  const nobleSign = await perSecond(OPS / 4, (i) => ed25519.sign(msgs[i & 15]!, keys[i & 15]!.secretKey));
  record({ figure: 'crypto.ed25519_sign_per_s', weft: weftSign, unit: 'ops/s', baseline: 'noble', baseline_value: nobleSign, runs: RUNS, note });

  const weftVerify = await perSecond(OPS, (i) => verify(keys[i & 15]!.publicKey, msgs[i & 15]!, sigs[i & 15]!) || fail());
  const nobleVerify = await perSecond(OPS / 4, (i) => ed25519.verify(sigs[i & 15]!, msgs[i & 15]!, keys[i & 15]!.publicKey) || fail());
  record({ figure: 'crypto.ed25519_verify_per_s', weft: weftVerify, unit: 'ops/s', baseline: 'noble', baseline_value: nobleVerify, runs: RUNS, note });

  const mib = new Uint8Array(nodeRandomBytes(1 << 20));
  const blake3 = await mbPerSecond(mib, 8, (b) => hash(b));
  const sha256 = await mbPerSecond(mib, 8, (b) => createHash('sha256').update(b).digest());
  record({ figure: 'crypto.blake3_mb_s', weft: blake3, unit: 'MB/s', baseline: 'node-sha256', baseline_value: sha256, runs: RUNS, input: '1 MiB random' });

  const key = new Uint8Array(nodeRandomBytes(32));
  const aead = await mbPerSecond(mib, 16, (b) => encrypt(key, b));
  const nodeAead = await mbPerSecond(mib, 16, (b) => {
    const c = createCipheriv('chacha20-poly1305', key, nodeRandomBytes(12), { authTagLength: 16 });
    return [c.update(b), c.final(), c.getAuthTag()];
  });
  const nobleOut = new Uint8Array(mib.length + 16);
  const nobleOnly = await mbPerSecond(mib, 4, (b) => nobleAead.seal(key, key.subarray(0, 24), b, undefined, nobleOut));
  console.log(`  (XChaCha20-Poly1305 in pure @noble/ciphers, the fallback: ${nobleOnly} MB/s)`);
  record({ figure: 'crypto.aead_mb_s', weft: aead, unit: 'MB/s', baseline: 'node-chacha20-poly1305', baseline_value: nodeAead, runs: RUNS, input: '1 MiB random' });
}

function fail(): never {
  throw new Error('benchmark signature did not verify');
}
