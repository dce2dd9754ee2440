/**
 * A teammate writes only what is shared (issue 13), with real processes: a broker, the
 * victim's `weft peer run` in a Git working tree, and a writer of the share acting as a
 * modified client (hostile-member.ts: commits built through the protocol API with paths
 * an honest client never sends). Nothing may be written into `.git/` or `.weft/` (in any
 * spelling, nested too), through a link to a folder or a file (also one made after a file
 * was first written there), or over a local file that was never shared; `git status`
 * runs nothing of the attacker's, and the victim's log names the refusals and who made them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { FileId } from '../../protocol/src/share/manifest.js';
import { craftCreates } from '../protocol/share/hostile-commits.js';
import { killAll, removeDir, startBroker, tempDir, type BrokerProcess } from './broker-helpers.js';
import { openHostileMember } from './hostile-member.js';
import { folders, killPeers, makeShare, PeerProc, waitUntil } from './peer-procs.js';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir } });
}

/** path -> sha256 of every file under `dir` (links as "link -> target"). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out.set(relative(dir, p), 'link');
      else if (st.isDirectory()) walk(p);
      else out.set(relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

describe('net/write boundary: a teammate writes only what is shared', function () {
  this.timeout(240_000);
  let root: string;
  let broker: BrokerProcess;
  let victor: string;
  let mallory: string;
  let outside: string;
  let victorPeer: PeerProc;
  const marker = () => join(root, 'PWNED');

  before(async () => {
    root = tempDir('boundary');
    outside = join(root, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'target.txt'), 'outside, never to be written\n');
    broker = await startBroker(join(root, 'broker'));
    [victor, mallory] = folders(root, ['victor', 'mallory']) as [string, string];
    git(victor, 'init', '-q');
    mkdirSync(join(victor, '.git', 'hooks'), { recursive: true });
    writeFileSync(join(victor, '.git', 'hooks', 'pre-commit'), '#!/bin/sh\nexit 0\n');
    writeFileSync(join(victor, 'readme.md'), '# project\n');
    writeFileSync(join(victor, '.gitignore'), 'ignored.txt\n');
    writeFileSync(join(victor, 'ignored.txt'), 'victor\'s own, ignored\n');
    symlinkSync(outside, join(victor, 'link'));
    symlinkSync(join(outside, 'target.txt'), join(victor, 'flink.txt'));
    mkdirSync(join(victor, 'sub'));
    git(join(victor, 'sub'), 'init', '-q');
    await makeShare(victor, [mallory], ['--broker', broker.tcp]);
    victorPeer = await PeerProc.run(victor);
    const malloryPeer = await PeerProc.run(mallory);
    await waitUntil(() => existsSync(join(mallory, 'readme.md')), 60_000, () => `${victorPeer.out}\n${malloryPeer.out}`);
    assert.equal(await malloryPeer.stop(), 0);
  });

  after(() => {
    killPeers();
    killAll();
    removeDir(root);
  });

  it('refuses .git/ and .weft/ in every spelling, writes nothing through a link or over an ignored file, and says who tried', async () => {
    const protectedBefore = new Map([...snapshot(join(victor, '.git')), ...snapshot(join(victor, 'sub', '.git'))]);
    const weftBefore = snapshot(join(victor, '.weft'));
    const m = await openHostileMember(mallory, broker.tcp);
    const fsmonitor = `[core]\n\tfsmonitor = "touch ${marker()}"\n`;
    const attacks = ['.git/config', '.git/hooks/pre-commit', '.GIT/config', '.git./config', 'sub/.git/config', '.weft/share.json', '.weft/mirror/records.json'];
    for (const path of attacks) await m.publish(craftCreates(m.node.replica, m.keys, [{ path, text: path.includes('hooks') ? `#!/bin/sh\ntouch ${marker()}\n` : fsmonitor }]));
    // Paths a share may hold, which on this disk lead through links or over an ignored file.
    const through = craftCreates(m.node.replica, m.keys, [
      { path: 'link/x.txt', text: 'through the folder link\n' },
      { path: 'flink.txt', text: 'over the file link\n' },
      { path: 'ignored.txt', text: 'over the ignored file\n' },
      { path: 'later/a.txt', text: 'first version\n' },
    ]);
    await m.publish(through);
    await waitUntil(() => existsSync(join(victor, 'later', 'a.txt')), 30_000, () => victorPeer.out);
    await waitUntil(() => (victorPeer.out.match(/refused a commit .* \(protected-path\)/g) ?? []).length >= attacks.length, 30_000, () => victorPeer.out);
    // Victor makes `later` a link to a folder outside; Mallory then edits later/a.txt.
    rmSync(join(victor, 'later'), { recursive: true });
    symlinkSync(outside, join(victor, 'later'));
    await m.node.receive(through.bytes);
    const file = m.node.replica.fileAt('later/a.txt') as FileId;
    m.node.replica.edit(file, 0, 0, 'edited through the new link\n');
    const edit = (await m.node.commit())!;
    await m.publish(edit);
    await m.close();
    // Replacing the folder by a link deletes its files from the share (Victor's own act); the
    // edit, concurrent with that, may bring the file back: either way, never written through the link.
    await waitUntil(() => /deleted later\/a\.txt|not writing later\/a\.txt/.test(victorPeer.out), 30_000, () => victorPeer.out);

    const log = victorPeer.out;
    for (const path of attacks) assert.match(log, new RegExp(`refused a commit [0-9a-f]+ from mallory \\(protected-path\\): "${path.replace(/[.$]/g, '\\$&')}"`), `the refusal of ${path} names Mallory`);
    assert.deepEqual(new Map([...snapshot(join(victor, '.git')), ...snapshot(join(victor, 'sub', '.git'))]), protectedBefore, 'nothing in .git/ changed');
    const weftAfter = snapshot(join(victor, '.weft'));
    for (const [p] of weftAfter) assert.ok(!p.includes('config') && !p.startsWith('share.json') || weftBefore.has(p), `a new file in .weft: ${p}`);
    assert.equal(JSON.parse(readFileSync(join(victor, '.weft', 'share.json'), 'utf8')).name, 'team', 'share.json is still Weft\'s');
    assert.deepEqual([...snapshot(outside).keys()], ['target.txt'], 'nothing written outside the folder');
    assert.equal(readFileSync(join(outside, 'target.txt'), 'utf8'), 'outside, never to be written\n');
    assert.ok(lstatSync(join(victor, 'flink.txt')).isSymbolicLink(), 'Victor\'s link is still a link');
    assert.equal(readFileSync(join(victor, 'ignored.txt'), 'utf8'), 'victor\'s own, ignored\n');
    git(victor, 'status');
    assert.equal(existsSync(marker()), false, 'git status ran the attacker\'s command');
  });

  it('never overwrites a local file that was not shared: the teammate\'s text goes beside it', async () => {
    assert.equal(await victorPeer.stop(), 0);
    mkdirSync(join(victor, 'notes'), { recursive: true });
    writeFileSync(join(victor, 'notes', 'plan.md'), 'victor\'s plan, not shared yet\n');
    const m = await openHostileMember(mallory, broker.tcp);
    await m.publish(craftCreates(m.node.replica, m.keys, [{ path: 'notes/plan.md', text: 'mallory\'s plan\n' }]));
    await m.close();
    victorPeer = await PeerProc.run(victor, ['--broker', broker.tcp]);
    await waitUntil(() => readdirSync(join(victor, 'notes')).some((n) => /^plan \(conflict [0-9a-f]{8}\)\.md$/.test(n)), 30_000, () => victorPeer.out);
    assert.equal(readFileSync(join(victor, 'notes', 'plan.md'), 'utf8'), 'victor\'s plan, not shared yet\n');
    const beside = readdirSync(join(victor, 'notes')).find((n) => n.includes('(conflict'))!;
    assert.equal(readFileSync(join(victor, 'notes', beside), 'utf8'), 'mallory\'s plan\n');
    assert.match(victorPeer.out, /notes\/plan\.md/);
  });
});
