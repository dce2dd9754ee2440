/**
 * Identifiers in the log. A commit id is the BLAKE3-256 hash of the commit's full
 * encoding; in memory it is a lowercase hex string (usable as a Map key), on the wire
 * its 32 raw bytes.
 */
export type CommitId = string & { readonly __brand: 'CommitId' };

export const ID_BYTES = 32;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function commitIdFromBytes(b: Uint8Array): CommitId {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!];
  return s as CommitId;
}

export function commitIdToBytes(id: CommitId): Uint8Array {
  const out = new Uint8Array(id.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(id.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Short form for logs and error messages. */
export function shortId(id: string): string {
  return id.slice(0, 10);
}
