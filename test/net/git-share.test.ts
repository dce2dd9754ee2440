/**
 * Co-editing inside a Git repository (issue 15), with real `git` and `weft peer`
 * processes: a bare repository as the remote, Alice's and Bob's clones shared.
 * - Both pull the same upstream commit at once: its lines land once, and both checkouts
 *   are clean again (the share's text is the commit's).
 * - Bob stopped, both pull the next commit, Bob comes back: once again.
 * - Alice checks out another branch: she is away; nothing of that branch reaches Bob,
 *   Bob's edits are not written into her checkout, and back on main she gets them.
 * - A `git stash` by Alice would drop Bob's uncommitted line from the share: refused, said
 *   why, and the share's text is written back.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { killAll, removeDir, startBroker, tempDir, type BrokerProcess } from './broker-helpers.js';
import { killPeers, PeerProc, peerCli, waitUntil } from './peer-procs.js';

const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' };
const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8', env });
const gitAsync = promisify(execFile);
const read = (dir: string, path = 'f.txt') => readFileSync(join(dir, path), 'utf8');
const count = (text: string, line: string) => text.split('\n').filter((l) => l === line).length;

describe('net/Weft in a Git repository', function () {
  this.timeout(300_000);
  let root: string;
  let broker: BrokerProcess;
  let alice: string;
  let bob: string;
  let upstream: string;
  let pa: PeerProc;
  let pb: PeerProc;

  /** Commits `change` to f.txt in the upstream clone and pushes it. */
  function publishUpstream(change: (text: string) => string, message: string): void {
    git(upstream, 'pull', '-q', '--ff-only');
    writeFileSync(join(upstream, 'f.txt'), change(read(upstream)));
    git(upstream, 'commit', '-q', '-am', message);
    git(upstream, 'push', '-q');
  }

  before(async () => {
    root = tempDir('git-share');
    broker = await startBroker(join(root, 'broker'));
    git(root, 'init', '-q', '--bare', '-b', 'main', 'remote.git');
    git(root, 'clone', '-q', 'remote.git', 'upstream');
    upstream = join(root, 'upstream');
    git(upstream, 'checkout', '-q', '-b', 'main');
    writeFileSync(join(upstream, 'f.txt'), Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
    git(upstream, 'add', '-A');
    git(upstream, 'commit', '-q', '-m', 'first');
    git(upstream, 'push', '-q', '-u', 'origin', 'main');
    git(root, 'clone', '-q', 'remote.git', 'alice');
    git(root, 'clone', '-q', 'remote.git', 'bob');
    alice = join(root, 'alice');
    bob = join(root, 'bob');
    const invitation = (await peerCli('init', '--dir', alice, '--name', 'team', '--broker', broker.tcp)).trim().split('\n').pop()!;
    const key = (await peerCli('key', '--dir', bob)).trim();
    await peerCli('grant', key, '--role', 'writer', '--dir', alice, '--name', 'bob');
    await peerCli('join', invitation, '--dir', bob);
    pa = await PeerProc.run(alice);
    pb = await PeerProc.run(bob);
    await waitUntil(() => /following branch main/.test(pb.out), 60_000, () => pb.out);
    // Bob's join is over (his clone's f.txt judged against the share's) before anyone pulls:
    // a pull during the join lands once too, but as the join's update, not as Git's change.
    await waitUntil(() => /files already in the folder: 1 equal to the share's/.test(pb.out), 60_000, () => pb.out);
  });

  after(() => {
    killPeers();
    killAll();
    removeDir(root);
  });

  it('two members pulling the same upstream commit at once get its lines once, and clean checkouts', async () => {
    publishUpstream((t) => t.replace('line 5\n', 'line 5\nupstream A\nupstream B\n'), 'two lines');
    await Promise.all([gitAsync('git', ['pull', '-q', '--ff-only'], { cwd: alice, env }), gitAsync('git', ['pull', '-q', '--ff-only'], { cwd: bob, env })]);
    const expected = read(upstream);
    await waitUntil(() => read(alice) === expected && read(bob) === expected, 30_000, () => `alice:\n${read(alice)}\nbob:\n${read(bob)}\n${pa.out}\n${pb.out}`);
    // Still so after both mirrors had time to exchange their Git edits.
    await waitUntil(() => /Git brought in/.test(pa.out) && /Git brought in/.test(pb.out), 30_000, () => pa.out + pb.out);
    await new Promise((r) => setTimeout(r, 1500));
    for (const d of [alice, bob]) {
      assert.equal(count(read(d), 'upstream A'), 1, read(d));
      assert.equal(git(d, 'status', '--porcelain', '--', 'f.txt'), '', 'the checkout is clean: the share holds the commit\'s text');
    }
  });

  it('a member stopped while both pull the next commit gets it once when he comes back', async () => {
    assert.equal(await pb.stop(), 0);
    publishUpstream((t) => `${t}upstream tail\n`, 'tail');
    git(alice, 'pull', '-q', '--ff-only');
    git(bob, 'pull', '-q', '--ff-only');
    await waitUntil(() => /Git brought in/.test(pa.out.split('upstream A').pop() ?? ''), 30_000, () => pa.out);
    pb = await PeerProc.run(bob);
    const expected = read(upstream);
    await waitUntil(() => /merged/.test(pb.out), 30_000, () => pb.out);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(read(alice), expected);
    assert.equal(read(bob), expected);
    assert.equal(count(read(bob), 'upstream tail'), 1);
  });

  it('a branch switch stays on its own disk: away until back, then the teammate\'s edits arrive', async () => {
    git(alice, 'checkout', '-q', '-b', 'feature');
    writeFileSync(join(alice, 'f.txt'), `${read(alice)}feature only\n`);
    writeFileSync(join(alice, 'g.txt'), 'feature file\n');
    git(alice, 'add', '-A');
    git(alice, 'commit', '-q', '-m', 'feature');
    await waitUntil(() => /you are on feature; the share follows main/.test(pa.out), 30_000, () => pa.out);
    writeFileSync(join(bob, 'f.txt'), read(bob).replace('line 1\n', 'line 1 by bob\n'));
    await waitUntil(() => /merged/.test(pa.out.split('you are on feature').pop() ?? ''), 30_000, () => pa.out);
    await new Promise((r) => setTimeout(r, 2500));
    assert.ok(!read(bob).includes('feature only'), 'the branch\'s change stayed on Alice\'s disk');
    assert.throws(() => read(bob, 'g.txt'), 'the branch\'s new file stayed on Alice\'s disk');
    assert.ok(!read(alice).includes('line 1 by bob'), 'Bob\'s edit was not written into Alice\'s other branch');
    git(alice, 'checkout', '-q', 'main');
    await waitUntil(() => read(alice).includes('line 1 by bob') && !read(alice).includes('feature only'), 30_000, () => pa.out);
    assert.equal(read(alice), read(bob));
  });

  it('a clone at another commit than the share\'s is told what to do when it joins; its unchanged files take the share\'s text', async () => {
    git(root, 'clone', '-q', 'remote.git', 'carol');
    const carol = join(root, 'carol');
    git(carol, 'reset', '-q', '--hard', 'HEAD~1');
    const key = (await peerCli('key', '--dir', carol)).trim();
    assert.equal(await pa.stop(), 0); // a stored share is changed while its peer is stopped
    await peerCli('grant', key, '--role', 'writer', '--dir', alice, '--name', 'carol');
    const invitation = (await peerCli('invite', '--dir', alice)).trim().split('\n').pop()!;
    pa = await PeerProc.run(alice);
    await peerCli('join', invitation, '--dir', carol);
    const pc = await PeerProc.run(carol);
    await waitUntil(() => /your clone is at [0-9a-f]{10}, the share was made at [0-9a-f]{10} on main/.test(pc.out), 60_000, () => pc.out);
    await waitUntil(() => read(carol) === read(alice), 30_000, () => pc.out);
    assert.equal(await pc.stop(), 0);
  });

  it('a git stash that would drop a teammate\'s uncommitted line is refused, and the share\'s text is written back', async () => {
    await waitUntil(() => read(alice) === read(bob), 30_000, () => pa.out);
    const withBob = read(bob);
    git(alice, 'stash', '-q');
    await waitUntil(() => /Git put f\.txt back to HEAD/.test(pa.out), 30_000, () => pa.out);
    await waitUntil(() => read(alice) === withBob, 30_000, () => read(alice));
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(read(bob), withBob, 'Bob\'s line is still in the share');
  });
});
