/**
 * Every decoder of bytes from the wire or disk, for the fuzz test (fuzz.test.ts), which
 * feeds each one 100,000 random and mutated inputs and requires that each call either
 * returns or throws DecodeError, quickly.
 *
 * To add a decoder, append one line to `fuzzTargets`:
 *   { name: 'log/commit', decode: decodeCommitEnvelope, samples: () => [encodeCommit(...), ...] },
 * `samples` are valid encodings (a handful, covering the optional parts and the largest
 * realistic case); the fuzzer mutates them, so better samples reach deeper code.
 */
import { ByteReader, ByteWriter } from '../../../protocol/src/codec/bytes.js';
import { decodeWith, readHeader, readList, writeHeader, writeList } from '../../../protocol/src/codec/message.js';
import { decodeCommitEnvelope } from '../../../protocol/src/log/commit.js';
import { decodeManifestOps } from '../../../protocol/src/share/manifest-codec.js';
import { decodePayload } from '../../../protocol/src/share/payload.js';
import { decodeSyncMessage } from '../../../protocol/src/sync/index.js';
import { decodeWire, encodeWire } from '../../../protocol/src/multicast/wire.js';
import { wireSamples } from '../multicast/wire-samples.js';
import { decodePresence } from '../../../protocol/src/multicast/presence.js';
import { presenceSamples } from '../multicast/presence-samples.js';
import { decodeOps, decodeState } from '../../../protocol/src/text/index.js';
import { commitSamples, manifestSamples, opsSamples, payloadSamples, stateSamples, syncSamples } from './protocol-samples.js';
import { decodeSampleRecord, encodeSampleRecord, makeSampleRecord } from '../../../tools/samples/sample-record.js';

export interface FuzzTarget {
  name: string;
  decode: (bytes: Uint8Array) => unknown;
  samples: () => Uint8Array[];
}

export const fuzzTargets: FuzzTarget[] = [
  { name: 'codec/primitives', decode: decodePrimitiveScript, samples: primitiveScripts },
  { name: 'codec/header+list', decode: decodeHeaderList, samples: headerListSamples },
  { name: 'codec/sample-record', decode: decodeSampleRecord, samples: () => [0, 1, 7].map((i) => encodeSampleRecord(makeSampleRecord(i, i % 4, i * 40))) },
  { name: 'log/commit', decode: decodeCommitEnvelope, samples: commitSamples },
  { name: 'share/payload', decode: decodePayload, samples: payloadSamples },
  { name: 'share/manifest-ops', decode: decodeManifestOps, samples: manifestSamples },
  { name: 'text/ops', decode: decodeOps, samples: opsSamples },
  { name: 'text/state', decode: (b) => decodeState(b), samples: stateSamples },
  { name: 'sync/message', decode: decodeSyncMessage, samples: syncSamples },
  { name: 'multicast/wire', decode: decodeWire, samples: () => wireSamples.map(encodeWire) },
  { name: 'multicast/presence', decode: decodePresence, samples: presenceSamples },
];

/**
 * Exercises every ByteReader primitive: the input is a "script" of (op byte, operand)
 * pairs, so mutations reach every reader method with hostile operands.
 */
function decodePrimitiveScript(bytes: Uint8Array): unknown[] {
  return decodeWith(bytes, 1 << 16, (r) => {
    const out: unknown[] = [];
    while (!r.done) out.push(readPrimitive(r, r.readU8() % PRIMITIVES));
    return out;
  });
}

const PRIMITIVES = 9;

function readPrimitive(r: ByteReader, op: number): unknown {
  switch (op) {
    case 0: return r.readVarUint();
    case 1: return r.readVarInt();
    case 2: return r.readBool();
    case 3: return r.readString(100);
    case 4: return r.readBytes(64);
    case 5: return r.readFixed(r.readU8() % 40);
    case 6: return r.readLength(1000);
    case 7: return r.readCount(1 << 20, 8);
    default: return r.readU8();
  }
}

function primitiveScripts(): Uint8Array[] {
  const samples: Uint8Array[] = [];
  for (let s = 0; s < 6; s++) {
    const w = new ByteWriter();
    for (let i = 0; i < 12 + s * 4; i++) {
      const op = (i * 7 + s) % PRIMITIVES;
      w.writeU8(op);
      switch (op) {
        case 0: w.writeVarUint([0, 127, 128, 2 ** 53 - 1, 300][i % 5]!); break;
        case 1: w.writeVarInt([0, -1, 1, -(2 ** 40), 2 ** 30][i % 5]!); break;
        case 2: w.writeBool(i % 2 === 0); break;
        case 3: w.writeString(['', 'héllo', 'x'.repeat(30), '😀'][i % 4]!); break;
        case 4: w.writeBytes(new Uint8Array(i % 64).fill(i)); break;
        case 5: w.writeU8(i % 40); w.writeFixed(new Uint8Array(i % 40).fill(0xaa)); break;
        case 6: w.writeVarUint((i * 50) % 1000); break;
        case 7: w.writeVarUint(0); break;
        default: w.writeU8(i);
      }
    }
    samples.push(w.finish());
  }
  return samples;
}

/** A versioned message holding a list of (string, varuint) pairs. */
function decodeHeaderList(bytes: Uint8Array): Array<[string, number]> {
  return decodeWith(bytes, 4096, (r) => {
    readHeader(r, 0x4c, [1, 2]);
    return readList(r, 100, 2, (r) => [r.readString(50), r.readVarUint()] as [string, number]);
  });
}

function headerListSamples(): Uint8Array[] {
  return [0, 1, 5, 20].map((n) => {
    const w = new ByteWriter();
    writeHeader(w, 0x4c, 1 + (n % 2));
    writeList(w, Array.from({ length: n }, (_, i) => i), (w, i) => (w.writeString(`item ${i}`), w.writeVarUint(i * 1000)));
    return w.finish();
  });
}

// Chunks (protocol/src/chunks/codec.ts): tree nodes and object references.
import { decodeObjectRef, decodeTreeNode } from '../../../protocol/src/chunks/index.js';
import { objectRefSamples, treeNodeSamples } from '../chunks/chunk-samples.js';
fuzzTargets.push(
  { name: 'chunks/tree-node', decode: decodeTreeNode, samples: treeNodeSamples },
  { name: 'chunks/object-ref', decode: decodeObjectRef, samples: objectRefSamples },
);
