/**
 * Bytes on disk <-> text in the share. A file is text when it is valid UTF-8 with no
 * NUL in its first 8000 bytes (what Git calls text); anything else is binary. A
 * byte-order mark is kept as U+FEFF at the start of the text, so the bytes round-trip
 * exactly on every member's disk.
 */
import { sha256Hex } from '../src/crypto/index.js';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** The text of `bytes`, or undefined if they are binary. */
export function textOf(bytes: Uint8Array): string | undefined {
  if (bytes.subarray(0, 8000).includes(0)) return undefined;
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

export function bytesOf(text: string): Uint8Array {
  return encoder.encode(text);
}

export function hashOf(bytes: Uint8Array): string {
  return sha256Hex(bytes);
}

export function hashOfText(text: string): string {
  return sha256Hex(encoder.encode(text));
}
