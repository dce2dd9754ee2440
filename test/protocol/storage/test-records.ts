/**
 * Deterministic records for the storage tests and the crash child: the bytes of
 * record `seq` depend only on (seed, seq), so a test can check any record it loads
 * without having seen it written.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileLogStore, type FileLogStoreInit } from '../../../protocol/storage/file-log-store.js';
import type { LoadedLog } from '../../../protocol/src/ports/log-store.js';

/** xorshift32 from a (seed, stream) pair, mixed so nearby inputs give unrelated streams. */
export function seededRandom(seed: number, stream = 0): () => number {
  let s = Math.imul((seed ^ 0x9e3779b9) >>> 0, 0x85ebca6b) ^ Math.imul((stream + 0x7f4a7c15) >>> 0, 0xc2b2ae35);
  s = (s ^ (s >>> 16)) >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** A size in 1 B .. 64 KiB, skewed towards small records (as commits are). */
export function crashRecordSize(seed: number, seq: number): number {
  const u = seededRandom(seed, seq * 2 + 1)() / 2 ** 32;
  return 1 + Math.floor(u * u * 65536);
}

export function patternRecord(seed: number, seq: number, size = crashRecordSize(seed, seq)): Uint8Array {
  const out = new Uint8Array(size);
  const words = new Uint32Array(out.buffer, 0, size >>> 2);
  const next = seededRandom(seed, seq * 2);
  for (let i = 0; i < words.length; i++) words[i] = next();
  for (let i = words.length * 4; i < size; i++) out[i] = next() & 0xff;
  return out;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Compares record lists without deepEqual's per-byte cost on large records. */
export function assertSameRecords(actual: readonly Uint8Array[], expected: readonly Uint8Array[], label = 'records'): void {
  assert.equal(actual.length, expected.length, `${label}: count`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(actual[i] instanceof Uint8Array, `${label}[${i}] is a Uint8Array`);
    assert.ok(sameBytes(actual[i]!, expected[i]!), `${label}[${i}] differs (${actual[i]!.length} vs ${expected[i]!.length} bytes)`);
  }
}

export function tempStoreDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'weft-log-'));
}

/** Opens the store in `dir` with a new FileLogStore, and closes it again. */
export async function openAndClose(dir: string, init: FileLogStoreInit = {}): Promise<LoadedLog> {
  const store = new FileLogStore(dir, init);
  try {
    return await store.open();
  } finally {
    await store.close();
  }
}
