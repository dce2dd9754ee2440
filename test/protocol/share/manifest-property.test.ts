/**
 * Property: replicas that make random manifest ops and edits on a random DAG (local
 * commits and merges), then apply every commit in different random topological
 * orders, all show the same view, the one a brute-force model of the rules gives;
 * and the changes of each call replay to the view. Seeded: WEFT_SEED=<n> replays a
 * failure (the seed and the scenario seed are printed by fast-check and the message).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CommitGraph } from '../../../protocol/src/log/graph.js';
import type { CommitId } from '../../../protocol/src/log/ids.js';
import { deleteFolderOps, renameFolderOps } from '../../../protocol/src/share/manifest-folders.js';
import { type EntryKind, type FileId, Manifest, type ManifestEntry, type ManifestOp } from '../../../protocol/src/share/manifest.js';
import { manifestOpKey } from '../../../protocol/src/share/manifest-ops.js';
import { ancestorFolders, conflictPath, isWithin } from '../../../protocol/src/share/paths.js';

const SEED = Number(process.env.WEFT_SEED ?? 0x5eed);
// Few paths, so that entries collide often; some are conflict names of others.
const PATHS = ['a', 'b', 'a/x', 'a/y', 'b/x', 'a/x/z', 'c.md', 'a/c.md', 'c (conflict aaaaaaaa).md', 'a (conflict bbbbbbbb)'];
const KINDS: EntryKind[] = ['text', 'text', 'binary', 'folder'];

interface Commit {
  readonly id: CommitId;
  readonly deps: readonly CommitId[];
  readonly ops: readonly ManifestOp[];
  readonly edits: readonly FileId[];
}

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
  const int = (n: number) => next() % n;
  const hex = (chars: number) => Array.from({ length: chars }, () => int(16).toString(16)).join('');
  return { int, hex, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]! };
}
type Rng = ReturnType<typeof rng>;

/** Applies a commit to a manifest and checks that the changes replay to its view. */
function applyChecked(m: Manifest, replay: Map<FileId, ManifestEntry>, c: Commit): void {
  const changes = m.applyCommit(c.ops, c.id);
  for (const f of c.edits) changes.push(...m.noteActivity(f, c.id));
  for (const ch of changes) {
    if (ch.type === 'removed') assert.ok(replay.delete(ch.file));
    else {
      assert.equal(replay.has(ch.file), ch.type === 'moved');
      if (ch.type === 'moved') assert.equal(replay.get(ch.file)!.path, ch.oldPath);
      replay.set(ch.file, { file: ch.file, path: ch.path, kind: ch.kind });
    }
  }
  assert.deepEqual([...replay.values()].sort((a, b) => (a.path < b.path ? -1 : 1)), m.view());
}

class Replica {
  readonly manifest: Manifest;
  readonly replay = new Map<FileId, ManifestEntry>();
  readonly known = new Set<CommitId>();
  readonly created = new Set<FileId>();
  heads: CommitId[] = [];
  constructor(readonly graph: CommitGraph) {
    this.manifest = new Manifest(graph);
  }

  receive(c: Commit): void {
    applyChecked(this.manifest, this.replay, c);
    this.known.add(c.id);
    for (const op of c.ops) if (op.type === 'create') this.created.add(op.file);
  }

  mergeFrom(other: Replica, commits: ReadonlyMap<CommitId, Commit>): void {
    for (const id of this.graph.topological()) if (other.known.has(id) && !this.known.has(id)) this.receive(commits.get(id)!);
    const heads = [...new Set([...this.heads, ...other.heads])];
    this.heads = heads.filter((h) => !heads.some((g) => this.graph.isAncestor(h, g)));
  }
}

function randomOps(r: Rng, view: ManifestEntry[], created: ReadonlySet<FileId>): { ops: ManifestOp[]; edits: FileId[] } {
  const ops: ManifestOp[] = [];
  const edits: FileId[] = [];
  const add = (more: ManifestOp[]) => {
    const keys = new Set(ops.map(manifestOpKey));
    for (const op of more) if (!keys.has(manifestOpKey(op))) ops.push(op), keys.add(manifestOpKey(op));
  };
  for (let n = 1 + r.int(3); n > 0; n--) {
    const choice = view.length === 0 ? 0 : r.int(7);
    const e = view.length ? r.pick(view) : undefined;
    if (choice <= 1 || !e) {
      const prefix = r.int(2) === 0 ? r.pick(['aaaaaaaa', 'bbbbbbbb']) : r.hex(8);
      add([{ type: 'create', file: (prefix + r.hex(24)) as FileId, path: r.pick(PATHS), kind: r.pick(KINDS) }]);
    } else if (choice === 2) add([{ type: 'rename', file: e.file, path: r.pick(PATHS) }]);
    else if (choice === 3) add([{ type: 'delete', file: e.file }]);
    else if (choice === 4) edits.push(r.int(4) === 0 && created.size ? r.pick([...created]) : e.file);
    else {
      const folders = ancestorFolders(e.path);
      if (folders.length === 0) continue;
      const folder = r.pick(folders);
      const to = r.pick(['a', 'b', 'd', 'b/x']);
      if (choice === 5) add(deleteFolderOps(view, folder));
      else if (!isWithin(to, folder)) add(renameFolderOps(view, folder, to));
    }
  }
  return { ops, edits };
}

/** A random topological order of all commits. */
function linearExtension(r: Rng, commits: readonly Commit[]): Commit[] {
  const done = new Set<CommitId>();
  const out: Commit[] = [];
  while (out.length < commits.length) {
    const ready = commits.filter((c) => !done.has(c.id) && c.deps.every((d) => done.has(d)));
    const c = r.pick(ready);
    done.add(c.id);
    out.push(c);
  }
  return out;
}

/** The rules of manifest.ts and manifest-view.ts, computed from scratch over every op. */
function modelView(commits: readonly Commit[], graph: CommitGraph): ManifestEntry[] {
  const le = (a: CommitId, b: CommitId) => a === b || graph.isAncestor(a, b);
  type Write = { commit: CommitId; seq: number; path?: string; kind?: EntryKind; del?: true; edit?: true };
  const byFile = new Map<FileId, Write[]>();
  for (const c of commits) {
    const items: Array<[FileId, Write]> = c.ops.map((op, seq) => [
      op.file,
      op.type === 'delete' ? { commit: c.id, seq, del: true } : { commit: c.id, seq, path: op.path, kind: op.type === 'create' ? op.kind : undefined },
    ]);
    for (const f of c.edits) items.push([f, { commit: c.id, seq: c.ops.length, edit: true }]);
    for (const [f, w] of items) byFile.set(f, [...(byFile.get(f) ?? []), w]);
  }
  const desired = new Map<FileId, { path: string; kind: EntryKind }>();
  for (const [file, ws] of byFile) {
    const active = ws.filter((w) => !w.del);
    if (ws.some((d) => d.del && active.every((a) => le(a.commit, d.commit)))) continue;
    const paths = ws.filter((w) => w.path !== undefined);
    const live = paths.filter((w) => !paths.some((v) => (v.commit === w.commit ? v.seq > w.seq : graph.isAncestor(w.commit, v.commit))));
    const path = live.reduce((x, y) => (y.commit > x.commit ? y : x)).path!;
    const creates = ws.filter((w) => w.kind !== undefined);
    const kind = creates.reduce((x, y) => (y.commit < x.commit || (y.commit === x.commit && y.seq > x.seq) ? y : x)).kind!;
    desired.set(file, { path, kind });
  }
  const reserved = new Set<string>();
  for (const d of desired.values()) for (const p of [d.path, ...ancestorFolders(d.path)]) reserved.add(p);
  const out: ManifestEntry[] = [];
  for (const path of new Set([...desired.values()].map((d) => d.path))) {
    const group = [...desired].filter(([, d]) => d.path === path).sort(([a], [b]) => (a < b ? -1 : 1));
    const folderPath = [...desired.values()].some((d) => d.path.startsWith(path + '/'));
    const winner = group.find(([, d]) => d.kind === 'folder' || !folderPath)?.[0];
    for (const [file, { kind }] of group) {
      let shown = path;
      if (file !== winner) {
        const shared = group.some(([g]) => g !== file && g !== winner && g.slice(-8) === file.slice(-8));
        const tags = [file.slice(-8), file, ...Array.from({ length: 50 }, (_, i) => `${file} ${i + 2}`)].slice(shared ? 1 : 0);
        shown = tags.map((t) => conflictPath(path, t, kind === 'folder')).find((name) => !reserved.has(name))!;
      }
      out.push({ file, path: shown, kind });
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

function checkVisibleInvariants(view: ManifestEntry[]): void {
  const paths = new Set(view.map((e) => e.path));
  assert.equal(paths.size, view.length, 'visible paths are unique');
  for (const e of view) {
    for (const dir of ancestorFolders(e.path)) {
      const holder = view.find((x) => x.path === dir);
      assert.ok(!holder || holder.kind === 'folder', `${e.path} lies below the file ${dir}`);
    }
  }
}

function runScenario(scenarioSeed: number): void {
  const r = rng(scenarioSeed);
  const graph = new CommitGraph();
  const replicas = Array.from({ length: 2 + r.int(3) }, () => new Replica(graph));
  const commits = new Map<CommitId, Commit>();
  for (let step = 12 + r.int(30); step > 0; step--) {
    const me = r.pick(replicas);
    const other = r.pick(replicas);
    if (other !== me && r.int(3) === 0) {
      me.mergeFrom(other, commits);
      continue;
    }
    const { ops, edits } = randomOps(r, me.manifest.view(), me.created);
    const c: Commit = { id: r.hex(64) as CommitId, deps: me.heads, ops, edits };
    graph.add(c.id, c.deps);
    commits.set(c.id, c);
    me.receive(c);
    me.heads = [c.id];
  }
  const all = [...commits.values()];
  const expected = modelView(all, graph);
  checkVisibleInvariants(expected);
  for (let k = 0; k < 4; k++) {
    const m = new Manifest(graph);
    const replay = new Map<FileId, ManifestEntry>();
    for (const c of linearExtension(r, all)) applyChecked(m, replay, c);
    assert.deepEqual(m.view(), expected, `order ${k} differs from the model`);
  }
  for (const rep of replicas) {
    for (const other of replicas) rep.mergeFrom(other, commits);
    assert.deepEqual(rep.manifest.view(), expected, 'a replica that merged everything differs from the model');
  }
}

describe('share/manifest properties', () => {
  it('converges to the model in every causal order, with exact changes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (scenarioSeed) => runScenario(scenarioSeed)),
      { seed: SEED, numRuns: 300, endOnFailure: true },
    );
  });
});
