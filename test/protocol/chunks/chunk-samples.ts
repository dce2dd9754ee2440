/** Valid encodings of the chunk layer's formats, for the fuzz test. */
import { decodeTreeNode, encodeObjectRef, encodeTreeNode, openChunk, writeObject } from '../../../protocol/src/chunks/index.js';
import { patternBytes, testKeys } from '../../../tools/samples/chunk-data.js';

/** Plaintexts of real tree nodes (1, a few and many children; heights 1 and 2). */
export function treeNodeSamples(): Uint8Array[] {
  const { chunks } = writeObject(testKeys(4), patternBytes(4, 3_000_000), { fanout: { avg: 8, max: 40 } });
  const nodes = chunks.filter((c) => c.height > 0).map((c) => openChunk(c.ref, c.ciphertext));
  const one = decodeTreeNode(nodes[0]!);
  return [...nodes.slice(0, 3), ...nodes.slice(-2), encodeTreeNode({ height: 3, children: one.children.slice(0, 1) })];
}

export function objectRefSamples(): Uint8Array[] {
  const keys = testKeys(4);
  return [0, 1, 100_000, 2_000_000].map((n) => encodeObjectRef(writeObject(keys, patternBytes(n, n)).root));
}
