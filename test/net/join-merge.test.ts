/**
 * Joining merges, it never overwrites (issue 27), with real `git` and `weft peer`
 * processes: Carol shares her clone while it holds edits she has not committed; Dave
 * joins in his own clone of the same repository (at the same commit), with changes of
 * his own in one file; Erin joins with a copy of the files from an older point of the
 * share. Every one of Carol's uncommitted edits ends on every disk, Dave's own changes
 * merge with hers, and nobody's text is removed by someone joining.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killAll, removeDir, startBroker, tempDir, type BrokerProcess } from './broker-helpers.js';
import { folders, killPeers, PeerProc, peerCli, waitUntil } from './peer-procs.js';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' } });
}

/** A file's text, or undefined while it is not there (a file moved beside is briefly missing before the share's text is written at its path). */
const read = (dir: string, path: string): string | undefined => {
  try {
    return readFileSync(join(dir, path), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
};

describe('net/joining merges: a joiner\'s files never overwrite teammates\' newer text', function () {
  this.timeout(240_000);
  let root: string;
  let broker: BrokerProcess;
  after(() => {
    killPeers();
    killAll();
    removeDir(root);
  });

  it('sharer with uncommitted edits, joiner with a clone at the same commit and changes of his own: every edit on both disks', async () => {
    root = tempDir('join-merge');
    broker = await startBroker(join(root, 'broker'));
    git(root, 'init', '-q', '--bare', 'remote.git');
    git(root, 'clone', '-q', 'remote.git', 'carol');
    const carol = join(root, 'carol');
    writeFileSync(join(carol, 'h.txt'), 'h line 1\nh line 2\n');
    writeFileSync(join(carol, 'mine.txt'), 'm line 1\nm line 2\nm line 3\nm line 4\n');
    writeFileSync(join(carol, 'same.txt'), 'unchanged everywhere\n');
    git(carol, 'add', '-A');
    git(carol, 'commit', '-q', '-m', 'first');
    git(carol, 'push', '-q', 'origin', 'HEAD');
    git(root, 'clone', '-q', 'remote.git', 'dave');
    const dave = join(root, 'dave');
    // Carol's uncommitted edits, then she shares.
    writeFileSync(join(carol, 'h.txt'), 'h line 1\nh line 2\ncarol, not committed\n');
    writeFileSync(join(carol, 'mine.txt'), 'm line 1\nm line 2 by carol\nm line 3\nm line 4\n');
    const invitation = (await peerCli('init', '--dir', carol, '--name', 'team', '--broker', broker.tcp)).trim().split('\n').pop()!;
    // Dave's own change, in his clone.
    writeFileSync(join(dave, 'mine.txt'), 'm line 1\nm line 2\nm line 3\nm line 4 by dave\n');
    const daveKey = (await peerCli('key', '--dir', dave)).trim();
    await peerCli('grant', daveKey, '--role', 'writer', '--dir', carol, '--name', 'dave');
    await peerCli('join', invitation, '--dir', dave);
    const pc = await PeerProc.run(carol);
    const pd = await PeerProc.run(dave);
    const expected = { 'h.txt': 'h line 1\nh line 2\ncarol, not committed\n', 'mine.txt': 'm line 1\nm line 2 by carol\nm line 3\nm line 4 by dave\n', 'same.txt': 'unchanged everywhere\n' };
    await waitUntil(
      () => Object.entries(expected).every(([p, t]) => read(dave, p) === t && read(carol, p) === t),
      60_000,
      () => `carol: ${JSON.stringify(Object.keys(expected).map((p) => read(carol, p)))}\ndave: ${JSON.stringify(Object.keys(expected).map((p) => read(dave, p)))}\n${pd.out}`,
    );
    // The summary comes once the join's last pass ends, which may be after the files are written.
    await waitUntil(() => pd.out.includes('files already in the folder:'), 30_000, () => pd.out);
    assert.match(pd.out, /files already in the folder: 1 equal to the share's \(adopted\), 1 older copies \(updated\), 1 merged with your changes, 0 kept beside/);
    assert.equal(git(dave, 'status', '--porcelain').split('\n').filter((l) => l.includes('.weft')).length, 0, 'git sees nothing of Weft');

    // Erin joins with a copy of the files from an older point of the share's history.
    writeFileSync(join(carol, 'same.txt'), 'unchanged everywhere\nuntil now\n');
    await waitUntil(() => (read(dave, 'same.txt') ?? '').includes('until now'), 30_000, () => pd.out);
    const [erin] = folders(root, ['erin']) as [string];
    writeFileSync(join(erin, 'same.txt'), 'unchanged everywhere\n');
    writeFileSync(join(erin, 'h.txt'), 'h line 1\nh line 2\n'); // never a version of the share: kept beside
    const erinKey = (await peerCli('key', '--dir', erin)).trim();
    await pc.stop();
    await peerCli('grant', erinKey, '--role', 'writer', '--dir', carol, '--name', 'erin');
    const pc2 = await PeerProc.run(carol);
    await peerCli('join', invitation, '--dir', erin);
    const pe = await PeerProc.run(erin);
    await waitUntil(() => read(erin, 'same.txt') === 'unchanged everywhere\nuntil now\n' && read(erin, 'mine.txt') === expected['mine.txt'], 60_000, () => pe.out);
    assert.equal(read(carol, 'same.txt'), 'unchanged everywhere\nuntil now\n', 'nobody\'s newer text was replaced by the joiner\'s older copy');
    // Erin's own h.txt moves beside first, then the share's text is written at the path:
    // on a busy machine that can be a pass after the other files.
    await waitUntil(() => read(erin, 'h.txt') === expected['h.txt'], 30_000, () => `the share's text keeps its path; erin's h.txt: ${JSON.stringify(read(erin, 'h.txt'))}\n${pe.out}`);
    await waitUntil(() => read(carol, "h.txt") === expected["h.txt"] && /h \(conflict [0-9a-f]{8}\)\.txt/.test(execFileSync("ls", [carol], { encoding: "utf8" })), 30_000, () => `${pc2.out}\n--- erin\n${pe.out}`);
    // The pass's summary is logged when the pass ends, which may be after the files are written.
    await waitUntil(() => /files already in the folder: .*1 older copies \(updated\), .*1 kept beside/.test(pe.out), 30_000, () => pe.out);
    for (const p of [pc2, pd, pe]) assert.equal(await p.stop(), 0);
  });
});
