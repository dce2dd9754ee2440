/**
 * Operational transformation of plain text replaces, for the places that hold two
 * changes of one text without CRDT versions: an editor's pending remote changes against
 * the user's typing (extension/binding), and a file's changes since a base text found
 * outside the share (a Git clone's HEAD) against the share's (three-way.ts).
 *
 * An Op is one replace (delete `deleteCount` UTF-16 units at `offset`, insert `insert`
 * there); an Op[] is *sequential*: each op is relative to the text after the previous
 * ones, like the replica's TextChange[].
 *
 * - `xform(local, remote)` transforms two sequences made on the same text so each
 *   applies after the other with the same result (local's inserts first on ties;
 *   overlapping ranges delete their union and keep both inserts).
 * - `toHunks(ops)` turns a sequence into simultaneous, ascending, non-overlapping
 *   hunks against the original text.
 */
export interface Op {
  readonly offset: number;
  readonly deleteCount: number;
  readonly insert: string;
}

export function applyOps(text: string, ops: readonly Op[]): string {
  let t = text;
  for (const o of ops) t = t.slice(0, o.offset) + o.insert + t.slice(o.offset + o.deleteCount);
  return t;
}

function nonEmpty(ops: Op[]): Op[] {
  return ops.filter((o) => o.deleteCount > 0 || o.insert.length > 0);
}

/** Transforms one local op `a` and one remote op `b` (same base). Returns [a after b, b after a]. */
function xformOne(a: Op, b: Op): [Op[], Op[]] {
  const aEnd = a.offset + a.deleteCount;
  const bEnd = b.offset + b.deleteCount;
  // a entirely before b; on a tie of two inserts at one point the local one goes first.
  if (aEnd <= b.offset) return [[a], [{ ...b, offset: b.offset + a.insert.length - a.deleteCount }]];
  if (bEnd <= a.offset) return [[{ ...a, offset: a.offset + b.insert.length - b.deleteCount }], [b]];
  // Overlap: both sides end with the union [start, end) deleted and a.insert + b.insert at start.
  const start = Math.min(a.offset, b.offset);
  const end = Math.max(aEnd, bEnd);
  const aAfterB = nonEmpty([
    { offset: b.offset + b.insert.length, deleteCount: end - bEnd, insert: '' },
    { offset: start, deleteCount: b.offset - start, insert: a.insert },
  ]);
  const bAfterA = nonEmpty([
    { offset: a.offset + a.insert.length, deleteCount: end - aEnd, insert: b.insert },
    { offset: start, deleteCount: a.offset - start, insert: '' },
  ]);
  return [aAfterB, bAfterA];
}

/** Transforms sequences `local` and `remote` made on the same text: [local after remote, remote after local]. */
export function xform(local: readonly Op[], remote: readonly Op[]): [Op[], Op[]] {
  if (local.length === 0 || remote.length === 0) return [[...local], [...remote]];
  if (local.length > 1) {
    const [first, remote1] = xform([local[0]!], remote);
    const [rest, remote2] = xform(local.slice(1), remote1);
    return [[...first, ...rest], remote2];
  }
  if (remote.length > 1) {
    const [local1, first] = xform(local, [remote[0]!]);
    const [local2, rest] = xform(local1, remote.slice(1));
    return [local2, [...first, ...rest]];
  }
  return xformOne(local[0]!, remote[0]!);
}

/**
 * Simultaneous hunks (ascending, non-overlapping, offsets in the original text of
 * length `baseLength`) with the same effect as the sequence `ops`.
 */
export function toHunks(baseLength: number, ops: readonly Op[]): Op[] {
  // The result text as pieces: a range of the original, or inserted text.
  type Piece = { base: true; from: number; to: number } | { base: false; text: string };
  let pieces: Piece[] = baseLength > 0 ? [{ base: true, from: 0, to: baseLength }] : [];
  const len = (p: Piece) => (p.base ? p.to - p.from : p.text.length);
  for (const o of ops) {
    const out: Piece[] = [];
    let pos = 0;
    let inserted = false;
    const delEnd = o.offset + o.deleteCount;
    for (const p of pieces) {
      const pEnd = pos + len(p);
      // Part of p before the op's range.
      if (pos < o.offset) out.push(cut(p, 0, Math.min(pEnd, o.offset) - pos));
      if (!inserted && pEnd >= o.offset && o.insert) {
        if (pos <= o.offset) {
          out.push({ base: false, text: o.insert });
          inserted = true;
        }
      }
      // Part of p after the op's range.
      if (pEnd > delEnd) out.push(cut(p, Math.max(pos, delEnd) - pos, pEnd - pos));
      pos = pEnd;
    }
    if (!inserted && o.insert) out.push({ base: false, text: o.insert });
    pieces = out.filter((p) => len(p) > 0);
  }
  const hunks: Op[] = [];
  let basePos = 0;
  let pendingInsert = '';
  const emit = (upTo: number) => {
    if (upTo > basePos || pendingInsert) hunks.push({ offset: basePos, deleteCount: upTo - basePos, insert: pendingInsert });
    pendingInsert = '';
  };
  for (const p of pieces) {
    if (p.base) {
      emit(p.from);
      basePos = p.to;
    } else pendingInsert += p.text;
  }
  emit(baseLength);
  return hunks;
}

function cut(p: { base: true; from: number; to: number } | { base: false; text: string }, from: number, to: number) {
  return p.base ? { base: true as const, from: p.from + from, to: p.from + to } : { base: false as const, text: p.text.slice(from, to) };
}
