import assert from 'node:assert/strict';
import { CommitGraph } from '../../../protocol/src/log/graph.js';
import type { CommitId } from '../../../protocol/src/log/ids.js';
import { deleteFolderOps, renameFolderOps } from '../../../protocol/src/share/manifest-folders.js';
import {
  type FileId,
  Manifest,
  type ManifestChange,
  type ManifestOp,
  ManifestOpError,
  fileIdFromBytes,
  isFileId,
} from '../../../protocol/src/share/manifest.js';
import { InvalidPathError } from '../../../protocol/src/share/paths.js';

/** Commit ids sort like their numbers. */
const cid = (n: number) => n.toString(16).padStart(64, '0') as CommitId;
/** File ids sort like their numbers and differ in their first 8 characters. */
const fid = (n: number) => n.toString(16).padStart(8, '0').repeat(4) as FileId;

/** A manifest over a test DAG that checks, after every call, that its changes replay to its view. */
class Harness {
  readonly graph = new CommitGraph();
  readonly manifest = new Manifest(this.graph);
  private readonly replay = new Map<FileId, { path: string; kind: string }>();

  commit(n: number, deps: number[], ops: ManifestOp[], edits: FileId[] = []): ManifestChange[] {
    this.graph.add(cid(n), deps.map(cid));
    const changes = this.manifest.applyCommit(ops, cid(n));
    for (const f of edits) changes.push(...this.manifest.noteActivity(f, cid(n)));
    return this.check(changes);
  }

  check(changes: ManifestChange[]): ManifestChange[] {
    for (const c of changes) {
      if (c.type === 'removed') assert.ok(this.replay.delete(c.file), 'removed an unknown entry');
      else {
        assert.equal(this.replay.has(c.file), c.type === 'moved', `${c.type} of ${c.file}`);
        if (c.type === 'moved') assert.equal(this.replay.get(c.file)!.path, c.oldPath);
        this.replay.set(c.file, { path: c.path, kind: c.kind });
      }
    }
    const fromChanges = [...this.replay].map(([file, e]) => ({ file, ...e })).sort((a, b) => (a.path < b.path ? -1 : 1));
    assert.deepEqual(fromChanges, this.manifest.view());
    return changes;
  }

  paths(): string[] {
    return this.manifest.view().map((e) => e.path);
  }
}

const create = (file: FileId, path: string, kind: 'text' | 'binary' | 'folder' = 'text'): ManifestOp => ({ type: 'create', file, path, kind });
const rename = (file: FileId, path: string): ManifestOp => ({ type: 'rename', file, path });
const del = (file: FileId): ManifestOp => ({ type: 'delete', file });

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

describe('share/manifest', () => {
  const A = fid(0xa), B = fid(0xb), C = fid(0xc);

  it('creates entries and answers pathOf, fileAt and entry', () => {
    const h = new Harness();
    const changes = h.commit(1, [], [create(A, 'src/a.ts'), create(B, 'empty', 'folder')]);
    assert.deepEqual(changes.map((c) => [c.type, c.path]), [['added', 'empty'], ['added', 'src/a.ts']]);
    assert.equal(h.manifest.pathOf(A), 'src/a.ts');
    assert.equal(h.manifest.fileAt('empty'), B);
    assert.deepEqual(h.manifest.entry(B), { file: B, path: 'empty', kind: 'folder' });
    assert.equal(h.manifest.fileAt('src'), undefined);
    assert.equal(h.manifest.size, 2);
  });

  it('keeps both of two concurrent creates of one path, the larger FileId visibly renamed, in both orders', () => {
    for (const order of [[2, 3], [3, 2]]) {
      const h = new Harness();
      h.commit(1, [], []);
      for (const n of order) h.commit(n, [1], [create(n === 2 ? B : A, 'notes.md')]);
      assert.deepEqual(h.manifest.view(), [
        { file: B, path: 'notes (conflict 0000000b).md', kind: 'text' },
        { file: A, path: 'notes.md', kind: 'text' },
      ]);
    }
  });

  it('renaming onto an existing path conflicts; moving away gives the path back', () => {
    const h = new Harness();
    h.commit(1, [], [create(A, 'x.md'), create(B, 'y.md')]);
    assert.deepEqual(h.commit(2, [1], [rename(B, 'x.md')]), [
      { type: 'moved', file: B, path: 'x (conflict 0000000b).md', oldPath: 'y.md', kind: 'text' },
    ]);
    const back = h.commit(3, [2], [rename(A, 'z.md')]);
    assert.deepEqual(back.map((c) => [c.file, c.oldPath, c.path]), [[B, 'x (conflict 0000000b).md', 'x.md'], [A, 'x.md', 'z.md']]);
  });

  it('a rename concurrent with edits keeps the entry, its id and the new path', () => {
    const h = new Harness();
    h.commit(1, [], [create(A, 'a.md')]);
    h.commit(2, [1], [rename(A, 'docs/b.md')]);
    h.commit(3, [1], [], [A]);
    h.commit(4, [2, 3], [], [A]);
    assert.deepEqual(h.manifest.view(), [{ file: A, path: 'docs/b.md', kind: 'text' }]);
  });

  it('a delete concurrent with an edit or a rename does not delete; a delete that saw them does', () => {
    for (const [concurrent, edits] of [[[], [A]], [[rename(A, 'moved.md')], []]] as const) {
      for (const deleteFirst of [true, false]) {
        const h = new Harness();
        h.commit(1, [], [create(A, 'a.md')]);
        const steps: Array<() => void> = [() => h.commit(2, [1], [del(A)]), () => h.commit(3, [1], [...concurrent], [...edits])];
        if (!deleteFirst) steps.reverse();
        for (const s of steps) s();
        assert.equal(h.manifest.view().length, 1, 'the concurrent activity keeps the entry');
        assert.equal(h.manifest.pathOf(A), concurrent.length ? 'moved.md' : 'a.md');
        assert.deepEqual(h.commit(4, [2, 3], [del(A)]).map((c) => c.type), ['removed']);
        assert.equal(h.manifest.isDeleted(A), true);
      }
    }
  });

  it('an edit after a delete brings the entry back; a delete in the same commit as an edit wins', () => {
    const h = new Harness();
    h.commit(1, [], [create(A, 'a.md')]);
    h.commit(2, [1], [del(A)]);
    assert.deepEqual(h.paths(), []);
    assert.deepEqual(h.commit(3, [2], [], [A]).map((c) => [c.type, c.path]), [['added', 'a.md']]);
    h.commit(4, [3], [del(A)], [A]);
    assert.deepEqual(h.paths(), []);
  });

  it('a delete concurrent with an edit when the edit arrives first then later merges', () => {
    const h = new Harness();
    h.commit(1, [], [create(A, 'a.md'), create(B, 'b.md')]);
    h.commit(2, [1], [], [A]);
    assert.deepEqual(h.commit(3, [1], [del(A), del(B)]).map((c) => c.path), ['b.md']);
    assert.deepEqual(h.paths(), ['a.md']);
  });

  it('three concurrent renames give the same path in all 6 arrival orders (the greatest commit id)', () => {
    const results = new Set<string>();
    for (const order of permutations([2, 3, 4])) {
      const h = new Harness();
      h.commit(1, [], [create(A, 'a.md')]);
      for (const n of order) h.commit(n, [1], [rename(A, `r${n}.md`)]);
      results.add(h.manifest.pathOf(A)!);
      // A rename that saw 2 and 4 but not 3 is concurrent with 3 only.
      h.commit(5, [2, 4], [rename(A, 'r5.md')]);
      results.add(h.manifest.pathOf(A)!);
    }
    assert.deepEqual([...results], ['r4.md', 'r5.md']);
  });

  it('the last op of a commit wins, and re-applying an op is a no-op', () => {
    const h = new Harness();
    h.commit(1, [], [create(A, 'a.md'), rename(A, 'b.md')]);
    assert.equal(h.manifest.pathOf(A), 'b.md');
    assert.deepEqual(h.manifest.apply(create(A, 'a.md'), cid(1)), []);
    assert.deepEqual(h.manifest.noteActivity(A, cid(1)), []);
    assert.equal(h.manifest.pathOf(A), 'b.md');
  });

  it('a file yields its path to a folder of the same name', () => {
    const h = new Harness();
    h.commit(1, [], []);
    h.commit(2, [1], [create(A, 'docs')]);
    h.commit(3, [1], [create(B, 'docs/readme.md'), create(C, 'docs', 'folder')]);
    assert.deepEqual(h.paths(), ['docs', 'docs (conflict 0000000a)', 'docs/readme.md']);
    assert.equal(h.manifest.fileAt('docs'), C);
    h.commit(4, [2, 3], [del(B), del(C)]);
    assert.deepEqual(h.paths(), ['docs']);
  });

  it('files made within the same minute (FileIds start with their time) get short, distinct conflict names', () => {
    const h = new Harness();
    const at = (time: string, tail: string): FileId => `${time}${'5'.repeat(12)}${tail}` as FileId;
    const first = at('018f3a2b4c5d', '0000aaaa');
    const second = at('018f3a2b4c5e', '1234abcd');
    const third = at('018f3a2b4c60', 'ffff0001');
    h.commit(1, [], []);
    h.commit(2, [1], [create(third, 'shared.txt')]);
    h.commit(3, [1], [create(second, 'shared.txt')]);
    h.commit(4, [1], [create(first, 'shared.txt')]);
    assert.deepEqual(h.paths(), ['shared (conflict 1234abcd).txt', 'shared (conflict ffff0001).txt', 'shared.txt']);
    assert.equal(h.manifest.fileAt('shared.txt'), first, 'the oldest file keeps the path');
  });

  it('keeps conflict names unique when a name is taken or a tag (the last 8 digits) is shared', () => {
    const h = new Harness();
    const twinB = ('1'.repeat(24) + '0000000b') as FileId;
    const twinC = ('2'.repeat(24) + '0000000b') as FileId;
    h.commit(1, [], []);
    h.commit(2, [1], [create(A, 'n.md'), create(B, 'n (conflict 0000000c).md')]);
    h.commit(3, [1], [create(C, 'n.md'), create(twinB, 'm'), create(twinC, 'm')]);
    h.commit(4, [1], [create(fid(1), 'm')]);
    assert.deepEqual(h.paths(), [
      'm',
      `m (conflict ${twinB})`,
      `m (conflict ${twinC})`,
      'n (conflict 0000000c).md',
      `n (conflict ${C}).md`,
      'n.md',
    ]);
    // Freeing the taken name lets the entry take it.
    h.commit(5, [2, 3, 4], [rename(B, 'other.md')]);
    assert.equal(h.manifest.pathOf(C), 'n (conflict 0000000c).md');
  });

  it('renames and deletes folders with one op per entry in one commit', () => {
    const h = new Harness();
    h.commit(1, [], [create(A, 'src/a.ts'), create(B, 'src/lib/b.ts'), create(C, 'src/empty', 'folder'), create(fid(0xd), 'srcx/d.ts')]);
    const ops = renameFolderOps(h.manifest.view(), 'src', 'lib/src');
    assert.equal(ops.length, 3);
    const changes = h.commit(2, [1], ops);
    assert.deepEqual(changes.map((c) => c.type), ['moved', 'moved', 'moved']);
    assert.deepEqual(h.paths(), ['lib/src/a.ts', 'lib/src/empty', 'lib/src/lib/b.ts', 'srcx/d.ts']);
    assert.throws(() => renameFolderOps(h.manifest.view(), 'lib', 'lib/src/x'), (e: unknown) => e instanceof InvalidPathError && e.reason === 'inside-itself');
    assert.deepEqual(renameFolderOps(h.manifest.view(), 'lib', 'lib'), []);
    h.commit(3, [2], deleteFolderOps(h.manifest.view(), 'lib/src'));
    assert.deepEqual(h.paths(), ['srcx/d.ts']);
  });

  it('refuses ops on entries not created in their causal past, and invalid ops, changing nothing', () => {
    const h = new Harness();
    h.commit(1, [], []);
    h.commit(2, [1], [create(A, 'a.md')]);
    h.graph.add(cid(3), [cid(1)]);
    const unknown = (e: unknown) => e instanceof ManifestOpError && e.reason === 'unknown-file';
    assert.throws(() => h.manifest.apply(rename(B, 'b.md'), cid(3)), unknown);
    assert.throws(() => h.manifest.apply(rename(A, 'b.md'), cid(3)), unknown, 'the create is concurrent');
    assert.throws(() => h.manifest.noteActivity(A, cid(3)), unknown);
    assert.throws(() => h.manifest.noteActivity(B, cid(3)), unknown);
    assert.throws(() => h.manifest.applyCommit([create(C, 'c.md'), del(A)], cid(3)), unknown);
    assert.throws(() => h.manifest.apply(create(C, '/abs'), cid(3)), InvalidPathError);
    assert.throws(() => h.manifest.apply(create('xyz' as FileId, 'ok'), cid(3)), (e: unknown) => e instanceof ManifestOpError && e.reason === 'bad-file-id');
    assert.deepEqual(h.paths(), ['a.md']);
    // After all that, a valid commit still works, including a create then rename in one commit.
    h.graph.add(cid(4), [cid(2)]);
    h.check(h.manifest.applyCommit([create(C, 'c.md'), rename(C, 'd.md'), rename(A, 'b.md')], cid(4)));
    assert.deepEqual(h.paths(), ['b.md', 'd.md']);
  });

  it('a duplicate create of one FileId merges deterministically (kind of the smallest commit)', () => {
    for (const order of [[2, 3], [3, 2]]) {
      const h = new Harness();
      h.commit(1, [], []);
      for (const n of order) h.commit(n, [1], [create(A, `f${n}`, n === 2 ? 'binary' : 'text')]);
      assert.deepEqual(h.manifest.view(), [{ file: A, path: 'f3', kind: 'binary' }]);
    }
  });

  it('gives the same results with or without Causality.ancestorsOf (many queries for one commit)', () => {
    const h = new Harness();
    const plain = new Manifest({ isAncestor: (a, b) => h.graph.isAncestor(a, b) });
    const files = Array.from({ length: 20 }, (_, i) => fid(i + 1));
    const both = (n: number, deps: number[], ops: ManifestOp[]) => {
      h.commit(n, deps, ops);
      plain.applyCommit(ops, cid(n));
    };
    files.forEach((f, i) => both(i + 1, i ? [i] : [], [create(f, `d/f${i}`)]));
    both(30, [5], [del(files[0]!)]); // concurrent with most creates
    both(31, [20, 30], renameFolderOps(h.manifest.view(), 'd', 'e'));
    const deletes = deleteFolderOps(h.manifest.view().filter((e) => e.path < 'e/f3'), 'e');
    assert.equal(deletes.length, 12);
    both(32, [20], deletes); // concurrent with the renames: no effect
    assert.equal(h.manifest.size, 19);
    both(33, [31, 32], deletes);
    assert.deepEqual(plain.view(), h.manifest.view());
    assert.equal(h.manifest.size, 7);
  });

  it('edits on two long concurrent branches of unequal length merge in linear time; the delete rule still holds', () => {
    // Offline divergence as the replica applies it: one side's edits, then the other's,
    // each tested against the other side's last edit (the activity antichain). A search
    // per edit walking the whole branch would be quadratic (about a minute here).
    const SHORT = 2_000;
    const LONG = 12_000;
    for (const shortFirst of [true, false]) {
      const h = new Harness();
      const t0 = performance.now();
      h.commit(1, [], [create(A, 'a.md')]);
      const branch = (start: number, length: number) => {
        for (let i = 0; i < length; i++) h.commit(start + i, [i ? start + i - 1 : 1], [], [A]);
        return start + length - 1;
      };
      let shortTip: number;
      let longTip: number;
      if (shortFirst) {
        shortTip = branch(10_000, SHORT);
        longTip = branch(100_000, LONG);
      } else {
        longTip = branch(100_000, LONG);
        shortTip = branch(10_000, SHORT);
      }
      assert.equal(h.commit(200_000, [longTip], [del(A)]).length, 0, 'the short branch edits keep the entry');
      assert.deepEqual(h.paths(), ['a.md']);
      assert.deepEqual(h.commit(200_001, [shortTip, 200_000], [del(A)]).map((c) => c.type), ['removed']);
      const ms = performance.now() - t0;
      assert.ok(ms < 10_000, `${ms.toFixed(0)} ms`);
    }
  });

  it('builds FileIds from 16 caller-supplied bytes', () => {
    const id = fileIdFromBytes(new Uint8Array(16).fill(0xab));
    assert.equal(id, 'ab'.repeat(16));
    assert.ok(isFileId(id));
    assert.throws(() => fileIdFromBytes(new Uint8Array(15)), RangeError);
  });
});
