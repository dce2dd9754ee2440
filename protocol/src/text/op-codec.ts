/**
 * Wire form of a batch of text operations.
 *
 *   byte 0            format version (OPS_VERSION = 1)
 *   varuint A, A x string       agent ids used in the batch (index = number below)
 *   varuint N, N x op:
 *     varuint header  bit 0: 0 insert, 1 delete
 *                     insert: bit 1 has left origin, bit 2 has right origin
 *     varuint agent
 *     varint  seq - expected    expected = end of the previous op of that agent in the batch, else 0
 *     insert: [varuint agent, varuint seq] left origin, [ditto] right origin, string text
 *     delete: varuint target agent, varuint target seq, varuint length
 *
 * An insert op is a whole typing run and a delete a whole id range, so a batch is as
 * short as its runs. decodeOps checks shape and bounds and throws only DecodeError;
 * whether the ops fit a document is applyRemote's job.
 */
import { ByteReader, ByteWriter } from '../codec/bytes.js';
import { DecodeError, decodeSafely } from '../codec/errors.js';
import { MAX_AGENT_LENGTH, MAX_SEQ } from './limits.js';
import type { Id, TextOp } from './types.js';

export const OPS_VERSION = 1;
const MAX_OPS = 1 << 24;

export function encodeOps(ops: readonly TextOp[]): Uint8Array {
  const agents = new Map<string, number>();
  const intern = (a: string): number => {
    let i = agents.get(a);
    if (i === undefined) agents.set(a, (i = agents.size));
    return i;
  };
  for (const op of ops) {
    intern(op.agent);
    if (op.kind === 'insert') {
      if (op.originLeft) intern(op.originLeft.agent);
      if (op.originRight) intern(op.originRight.agent);
    } else intern(op.target.agent);
  }
  const w = new ByteWriter(64);
  w.writeU8(OPS_VERSION);
  w.writeVarUint(agents.size);
  for (const a of agents.keys()) w.writeString(a);
  w.writeVarUint(ops.length);
  const expected = new Array<number>(agents.size).fill(0);
  const writeId = (id: Id): void => {
    w.writeVarUint(agents.get(id.agent)!);
    w.writeVarUint(id.seq);
  };
  for (const op of ops) {
    const a = agents.get(op.agent)!;
    if (op.kind === 'insert') {
      w.writeVarUint((op.originLeft ? 2 : 0) | (op.originRight ? 4 : 0));
      w.writeVarUint(a);
      w.writeVarInt(op.seq - expected[a]!);
      expected[a] = op.seq + op.text.length;
      if (op.originLeft) writeId(op.originLeft);
      if (op.originRight) writeId(op.originRight);
      w.writeString(op.text);
    } else {
      w.writeVarUint(1);
      w.writeVarUint(a);
      w.writeVarInt(op.seq - expected[a]!);
      expected[a] = op.seq + op.length;
      writeId(op.target);
      w.writeVarUint(op.length);
    }
  }
  return w.finish();
}

export function decodeOps(bytes: Uint8Array): TextOp[] {
  return decodeSafely('text ops', () => {
    const r = new ByteReader(bytes);
    const version = r.readU8();
    if (version !== OPS_VERSION) throw new DecodeError('version', `text ops version ${version}`);
    const nAgents = r.readCount(MAX_OPS, 2, 'agents');
    const agents: string[] = [];
    for (let i = 0; i < nAgents; i++) {
      const a = r.readString(MAX_AGENT_LENGTH * 3, 'agent id');
      if (a.length === 0 || a.length > MAX_AGENT_LENGTH) throw new DecodeError('malformed', 'agent id length');
      agents.push(a);
    }
    const agentAt = (): string => {
      const i = r.readVarUint();
      if (i >= nAgents) throw new DecodeError('malformed', 'agent index out of range');
      return agents[i]!;
    };
    const seqOf = (s: number, len: number): number => {
      if (s < 0 || s + len > MAX_SEQ) throw new DecodeError('malformed', 'seq out of range');
      return s;
    };
    const readId = (): Id => {
      const agent = agentAt();
      return { agent, seq: seqOf(r.readVarUint(), 1) };
    };
    const expected = new Map<string, number>();
    const n = r.readCount(MAX_OPS, 4, 'ops');
    const ops: TextOp[] = [];
    for (let i = 0; i < n; i++) {
      const h = r.readVarUint();
      if (h > 7 || (h & 1 && h !== 1)) throw new DecodeError('malformed', `op header ${h}`);
      const agent = agentAt();
      const seq0 = (expected.get(agent) ?? 0) + r.readVarInt();
      if (h & 1) {
        const target = readId();
        const length = r.readVarUint();
        if (length < 1) throw new DecodeError('malformed', 'empty delete');
        const seq = seqOf(seq0, length);
        seqOf(target.seq, length);
        expected.set(agent, seq + length);
        ops.push({ kind: 'delete', agent, seq, target, length });
      } else {
        const originLeft = h & 2 ? readId() : null;
        const originRight = h & 4 ? readId() : null;
        const text = r.readString(r.remaining, 'text');
        if (text.length === 0) throw new DecodeError('malformed', 'empty insert');
        const seq = seqOf(seq0, text.length);
        expected.set(agent, seq + text.length);
        ops.push({ kind: 'insert', agent, seq, originLeft, originRight, text });
      }
    }
    r.expectEnd('text ops');
    return ops;
  });
}
