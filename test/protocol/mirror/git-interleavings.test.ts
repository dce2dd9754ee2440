/**
 * Seeded interleavings of Git and co-editing (issue 15), with real `git` clones on disk
 * and the real mirror (NodeFolder, GitCheckout) over in-process replicas: an upstream
 * outside the team commits to f.txt; members pull it (at the same time, one after the
 * other, while offline), co-edit g.txt (uncommitted, as co-editing is), switch to another
 * branch and back, stash (refused: the share's text is written back) and go offline.
 * Every scenario ends with every member on the latest upstream commit and all online:
 * f.txt is upstream's exactly (each upstream line once), g.txt is the same everywhere,
 * and every line a member typed into g.txt is there exactly once.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommitEnvelope } from '../../../protocol/src/log/commit.js';
import type { FileId } from '../../../protocol/src/share/manifest.js';
import type { ShareReplica } from '../../../protocol/src/share/replica.js';
import { FolderMirror } from '../../../protocol/mirror/folder-mirror.js';
import { GitCheckout } from '../../../protocol/mirror/git-checkout.js';
import { MemoryRecordJournal, MirrorRecords } from '../../../protocol/mirror/mirror-records.js';
import { NodeFolder } from '../../../protocol/mirror/node-folder.js';
import { makeTeam, rng, seededRandom, type Network } from '../share/harness.js';
import { ManualClock } from './mirror-harness.js';

const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' };
const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });

class GitMember {
  mirror!: FolderMirror;
  checkout: GitCheckout | undefined;
  online = true;
  readonly logs: string[] = [];
  private held: CommitEnvelope[] = [];

  constructor(
    readonly dir: string,
    readonly replica: ShareReplica,
    private readonly net: Network,
    private readonly clock: ManualClock,
  ) {}

  async start(): Promise<void> {
    this.checkout = (await GitCheckout.open(this.dir))!;
    this.mirror = new FolderMirror({
      folder: await NodeFolder.open(this.dir),
      records: await MirrorRecords.open(new MemoryRecordJournal()),
      replica: this.replica,
      git: this.checkout,
      commit: async () => {
        for (const env of this.replica.flushInPieces()) {
          if (this.online) this.net.publish(env);
          else this.held.push(env);
        }
      },
      log: (l) => this.logs.push(l),
      clock: this.clock,
      rescanMs: 1e12,
    });
    await this.mirror.start();
  }

  async sync(): Promise<void> {
    if (this.online) {
      for (const env of this.held.splice(0)) this.net.publish(env);
      this.net.deliverAll(this.replica);
    }
    this.mirror.diskChanged();
    await this.mirror.pass();
    this.clock.time += 500; // deletes wait out their grace on the next pass
  }

  comeBack(): void {
    this.online = true;
    // Commits made offline go out now.
    for (const env of this.held.splice(0)) this.net.publish(env);
  }

  read(path: string): string {
    return readFileSync(join(this.dir, path), 'utf8');
  }

  stop(): void {
    this.checkout?.close();
  }
}

/** Runs one seeded scenario; `members` receives each member as it is made, for the caller to stop. */
async function scenario(seed: number, root: string, members: GitMember[]): Promise<void> {
  const random = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  git(root, 'init', '-q', '--bare', '-b', 'main', 'remote.git');
  git(root, 'clone', '-q', 'remote.git', 'upstream');
  const upstream = join(root, 'upstream');
  git(upstream, 'checkout', '-q', '-b', 'main');
  writeFileSync(join(upstream, 'f.txt'), 'f 1\nf 2\nf 3\n');
  writeFileSync(join(upstream, 'g.txt'), 'g 1\ng 2\n');
  git(upstream, 'add', '-A');
  git(upstream, 'commit', '-q', '-m', 'first');
  git(upstream, 'push', '-q', '-u', 'origin', 'main');
  const team = makeTeam([
    ['m1', 'writer'],
    ['m2', 'writer'],
  ], seededRandom(random));
  const clock = new ManualClock();
  const names = ['owner', 'm1', 'm2'];
  for (const name of names) {
    git(root, 'clone', '-q', 'remote.git', name);
    members.push(new GitMember(join(root, name), name === 'owner' ? team.owner : team.replicas.get(name)!, team.net, clock));
  }
  // The owner shares its clone (the share follows main); the others join theirs.
  team.owner.setBranch('main', git(members[0]!.dir, 'rev-parse', 'HEAD').trim());
  await members[0]!.start();
  for (const m of members.slice(1)) {
    team.net.deliverAll(m.replica);
    await m.start();
  }
  for (let i = 0; i < 3; i++) for (const m of members) await m.sync();
  const typed: string[] = [];
  const trace: string[] = []; // what each step did, printed with a failure
  const name = (m: GitMember) => names[members.indexOf(m)]!;
  let upstreamLines = 3;
  for (let step = 0; step < 24; step++) {
    const m = pick(members);
    const roll = random();
    const onMain = () => git(m.dir, 'rev-parse', '--abbrev-ref', 'HEAD').trim() === 'main';
    if (roll < 0.2) {
      // Upstream commits a line to f.txt.
      const lines = readFileSync(join(upstream, 'f.txt'), 'utf8').split('\n').filter(Boolean);
      lines.splice(Math.floor(random() * (lines.length + 1)), 0, `f up ${++upstreamLines}`);
      writeFileSync(join(upstream, 'f.txt'), `${lines.join('\n')}\n`);
      git(upstream, 'commit', '-q', '-am', `up ${step}`);
      git(upstream, 'push', '-q');
      trace.push(`${step}: upstream commits f up ${upstreamLines}`);
    } else if (roll < 0.45) {
      // One member pulls, or two at the same moment (both before either mirror runs).
      const who = random() < 0.4 ? [m, pick(members)] : [m];
      for (const x of new Set(who)) {
        if (git(x.dir, 'rev-parse', '--abbrev-ref', 'HEAD').trim() !== 'main') continue;
        // A teammate's pull may have reached this checkout already: Git then wants the file put back first.
        if (git(x.dir, 'status', '--porcelain', '--', 'f.txt').trim() !== '') {
          git(x.dir, 'checkout', '-q', '--', 'f.txt');
          await x.sync();
        }
        git(x.dir, 'pull', '-q', '--ff-only');
        trace.push(`${step}: ${name(x)} pulls`);
      }
    } else if (roll < 0.7) {
      // A co-edit of g.txt (uncommitted), on the share's branch.
      if (onMain()) {
        const line = `typed ${seed}.${step}`;
        const lines = m.read('g.txt').split('\n').filter(Boolean);
        lines.splice(Math.floor(random() * (lines.length + 1)), 0, line);
        writeFileSync(join(m.dir, 'g.txt'), `${lines.join('\n')}\n`);
        typed.push(line);
        trace.push(`${step}: ${name(m)} types "${line}"`);
      }
    } else if (roll < 0.8) {
      // Away to another branch and back, later.
      if (onMain() && git(m.dir, 'status', '--porcelain').trim() === '') {
        git(m.dir, 'checkout', '-q', '-B', `side-${step}`);
        trace.push(`${step}: ${name(m)} switches to side-${step}`);
      } else if (!onMain()) {
        git(m.dir, 'checkout', '-q', 'main');
        trace.push(`${step}: ${name(m)} switches back to main`);
      }
    } else if (roll < 0.87) {
      // A stash that would drop co-edits: refused, the share's text written back.
      if (onMain() && git(m.dir, 'status', '--porcelain').trim() !== '') {
        // Text typed and stashed before the mirror saw it lives in the stash only (Git's to
        // keep, and dropped below): the mirror looks first, as its watcher would.
        await m.sync();
        git(m.dir, 'stash', '-q');
        trace.push(`${step}: ${name(m)} stashes`);
        await m.sync();
        git(m.dir, 'stash', 'drop', '-q');
      }
    } else if (roll < 0.94) {
      if (m.online) m.online = false;
      else m.comeBack();
      trace.push(`${step}: ${name(m)} goes ${m.online ? 'online' : 'offline'}`);
    }
    for (const x of members) {
      if (random() < 0.6) {
        await x.sync();
        trace.push(`${step}: ${name(x)} syncs`);
      }
    }
  }
  // The end: everyone back on main, online, on the latest commit.
  for (const m of members) {
    if (git(m.dir, 'rev-parse', '--abbrev-ref', 'HEAD').trim() !== 'main') git(m.dir, 'checkout', '-q', 'main');
    m.comeBack();
  }
  for (let i = 0; i < 3; i++) for (const m of members) await m.sync();
  for (const m of members) {
    // Pull what is left: the working tree's f.txt may already hold it (a teammate's pull arrived first).
    if (git(m.dir, 'status', '--porcelain', '--', 'f.txt').trim() !== '') {
      git(m.dir, 'checkout', '-q', '--', 'f.txt');
      await m.sync();
    }
    try {
      git(m.dir, 'pull', '-q', '--ff-only');
    } catch (e) {
      throw new Error(`${m.dir}: ${String(e)}\n${members.map((x) => `--- ${x.dir}\n${x.logs.join('\n')}\ndiff:\n${git(x.dir, 'diff')}`).join('\n')}`);
    }
    for (let i = 0; i < 2; i++) for (const x of members) await x.sync();
  }
  for (let i = 0; i < 3; i++) for (const m of members) await m.sync();
  const upstreamF = readFileSync(join(upstream, 'f.txt'), 'utf8');
  const g = members[0]!.read('g.txt');
  const show = () => `seed ${seed}\n${trace.join('\n')}\n${members.map((m) => `--- ${m.dir}\nf.txt:\n${m.read('f.txt')}g.txt:\n${m.read('g.txt')}log:\n${m.logs.slice(-12).join('\n')}`).join('\n')}`;
  for (const m of members) {
    assert.equal(m.read('f.txt'), upstreamF, `f.txt is not upstream's\n${show()}`);
    assert.equal(m.read('g.txt'), g, `g.txt differs\n${show()}`);
    const replicaText = m.replica.text(m.replica.fileAt('g.txt') as FileId);
    assert.equal(replicaText, g, `disk and share differ\n${show()}`);
  }
  const lines = g.split('\n').filter(Boolean);
  for (const line of typed) assert.equal(lines.filter((l) => l === line).length, 1, `"${line}" is not there exactly once\n${show()}`);
  assert.equal(new Set(lines).size, lines.length, `a line is there twice\n${show()}`);
}

describe('mirror/Git interleavings (real git, seeded)', function () {
  this.timeout(600_000);
  const seeds = Number(process.env.WEFT_GIT_SEEDS ?? 12);
  for (let seed = 1; seed <= seeds; seed++) {
    it(`seed ${seed}: pulls, co-edits, branch switches, stashes and offline periods end equal, each line once`, async () => {
      const root = mkdtempSync(join(tmpdir(), 'weft-git-prop-'));
      const members: GitMember[] = [];
      try {
        await scenario(seed, root, members);
      } finally {
        for (const m of members) m.stop(); // a failed seed leaves no `git cat-file` behind
        rmSync(root, { recursive: true, force: true });
      }
    });
  }
});
