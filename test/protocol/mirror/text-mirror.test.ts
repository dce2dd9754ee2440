/**
 * The folder mirror over folders in memory, with the real replicas: nothing a person
 * writes is lost or garbled — edits in several places merged, changes of any size split
 * into commits, same-path creates kept, restarts merged three ways, deletes and renames
 * against edits, readers, files that were never shared.
 */
import assert from 'node:assert/strict';
import { DEFAULT_MAX_COMMIT_BYTES } from '../../../protocol/src/log/commit.js';
import { DELETE_GRACE_MS } from '../../../protocol/mirror/text-mirror.js';
import { ShareReplica } from '../../../protocol/src/share/replica.js';
import { keyFor, makeTeam, type Team } from '../share/harness.js';
import { ManualClock, MirrorMember, settle, type MemberOptions } from './mirror-harness.js';

const TEN_LINES = Array.from({ length: 10 }, (_, i) => `line ${i + 1}\n`).join('');

function withLines(text: string, changes: Record<number, string>): string {
  return text
    .split('\n')
    .map((l, i) => changes[i + 1] ?? l)
    .join('\n');
}

async function pair(options: MemberOptions = {}, roles: { bob?: 'writer' | 'reader' } = {}): Promise<{ team: Team; alice: MirrorMember; bob: MirrorMember; clock: ManualClock }> {
  const team = makeTeam([['bob', roles.bob ?? 'writer']]);
  const clock = new ManualClock();
  const alice = new MirrorMember('alice', team.owner, team.net, clock, options);
  const bob = new MirrorMember('bob', team.replicas.get('bob')!, team.net, clock, options);
  await alice.start();
  await bob.start();
  return { team, alice, bob, clock };
}

describe('mirror/text files', () => {
  it('shares new files and writes teammates\' edits; both folders end byte-identical', async () => {
    const { alice, bob } = await pair();
    alice.write('notes.md', '# Notes\n');
    alice.write('src/a.ts', 'export const a = 1;\n');
    await settle([alice, bob]);
    assert.deepEqual(bob.files(), alice.files());
    bob.write('notes.md', '# Notes\nfrom bob\n');
    await settle([alice, bob]);
    assert.equal(alice.read('notes.md'), '# Notes\nfrom bob\n');
    assert.deepEqual(bob.files(), alice.files());
  });

  it('offline edits in several places of one file merge line by line (lines 2, 5, 8 against 3, 5, 9)', async () => {
    const { alice, bob } = await pair();
    alice.write('f.txt', TEN_LINES);
    await settle([alice, bob]);
    bob.goOffline();
    alice.write('f.txt', withLines(TEN_LINES, { 2: 'alice 2', 5: 'alice 5', 8: 'alice 8' }));
    bob.write('f.txt', withLines(TEN_LINES, { 3: 'bob 3', 5: 'line 5 bob', 9: 'bob 9' }));
    await alice.sync();
    await bob.sync();
    bob.comeBack();
    await settle([alice, bob]);
    const merged = alice.read('f.txt')!;
    assert.equal(bob.read('f.txt'), merged);
    const lines = merged.split('\n').filter(Boolean);
    for (const l of ['alice 2', 'bob 3', 'alice 8', 'bob 9', 'line 1', 'line 4', 'line 6', 'line 7', 'line 10']) assert.equal(lines.filter((x) => x === l).length, 1, `${l} once in:\n${merged}`);
    assert.ok(!lines.includes('line 8') && !lines.includes('line 2'), `an old line came back:\n${merged}`);
    assert.equal(lines.indexOf('bob 3'), 2, 'bob\'s line-3 edit stays on line 3');
    // Both changed line 5, in different words of it: the character merge keeps both.
    assert.equal(lines[4], 'alice 5 bob');
    assert.equal(lines.length, 10, merged);
  });

  it('a change of 3 MB is split into commits under the limit and arrives whole; nothing is deleted', async () => {
    const { alice, bob } = await pair();
    const big = Array.from({ length: 60_000 }, (_, i) => `line ${i} ${'x'.repeat(40)}\n`).join('');
    alice.write('big.md', big);
    for (let i = 0; i < 30; i++) alice.write(`many/f${i}.txt`, `file ${i}\n`.repeat(2000));
    await alice.sync();
    assert.equal(alice.read('big.md'), big, 'the disk is as the member left it');
    assert.ok(alice.commits.length > 8, `split into ${alice.commits.length} commits`);
    for (const c of alice.commits) assert.ok(c.bytes.length <= DEFAULT_MAX_COMMIT_BYTES, `a commit of ${c.bytes.length} bytes`);
    await settle([alice, bob]);
    assert.equal(bob.read('big.md'), big);
    assert.deepEqual(bob.files(), alice.files());
    // A paste of 3 MB into the middle of a shared file.
    const paste = 'pasted\n'.repeat(450_000);
    const edited = big.slice(0, 1000) + paste + big.slice(1000);
    bob.write('big.md', edited);
    await settle([alice, bob]);
    assert.equal(alice.read('big.md'), edited);
  });

  it('a person\'s write at the very moment the mirror writes a teammate\'s edit is kept, and merged', async () => {
    const { alice, bob } = await pair();
    alice.write('doc.md', 'one\n');
    await settle([alice, bob]);
    alice.write('doc.md', 'one\nalice two\n');
    await alice.sync();
    let raced = false;
    bob.folder.beforeWrite = (path) => {
      if (path !== 'doc.md' || raced) return;
      raced = true;
      bob.write('doc.md', `${bob.read('doc.md')}bob three\n`); // appended just before the mirror's rename
    };
    await settle([alice, bob]);
    assert.ok(raced);
    // Bob's line was written against "one" while Alice's arrived: two inserts at one place, in the CRDT's order.
    const text = alice.read('doc.md')!;
    assert.equal(bob.read('doc.md'), text);
    assert.deepEqual(text.split('\n').filter(Boolean).sort(), ['alice two', 'bob three', 'one']);
  });

  it('two members create the same path: both versions stay, under the same names in both folders', async () => {
    const { alice, bob } = await pair();
    bob.goOffline();
    alice.write('same.txt', 'alice version\n');
    bob.write('same.txt', 'bob version\n');
    await alice.sync();
    await bob.sync();
    bob.comeBack();
    await settle([alice, bob]);
    assert.deepEqual(bob.files(), alice.files());
    const texts = Object.values(alice.files()).sort();
    assert.deepEqual(texts, ['alice version\n', 'bob version\n']);
    const conflict = Object.keys(alice.files()).find((p) => p.includes('(conflict '))!;
    assert.match(conflict, /^same \(conflict [0-9a-f]{8}\)\.txt$/);
    // The conflict file is tracked like any other: edited and deleted, it follows.
    bob.write(conflict, 'resolved by bob\n');
    await settle([alice, bob]);
    assert.equal(alice.read(conflict), 'resolved by bob\n');
  });

  it('a restart between "merged" and "written" writes the teammate\'s text; an edit made while stopped is committed', async () => {
    const { alice, bob } = await pair();
    alice.write('log.txt', 'one\n');
    await settle([alice, bob]);
    await bob.stop();
    alice.write('log.txt', 'one\ntwo from alice\n');
    await alice.sync();
    // Bob's replica merges the commit (stored), but his mirror is stopped: not written.
    bob.net.deliverAll(bob.replica);
    bob.write('log.txt', 'zero from bob\none\n'); // and he edits while stopped
    await bob.start();
    await settle([alice, bob]);
    assert.equal(bob.read('log.txt'), 'zero from bob\none\ntwo from alice\n');
    assert.equal(alice.read('log.txt'), 'zero from bob\none\ntwo from alice\n');
  });

  it('an edit concurrent with a delete brings the file back with the edit; the deleter is told', async () => {
    const { alice, bob, clock } = await pair();
    alice.write('d.txt', 'keep me\n');
    await settle([alice, bob]);
    bob.goOffline();
    bob.write('d.txt', 'keep me\nedited offline\n');
    await bob.sync();
    await alice.folder.remove('d.txt');
    await alice.sync();
    clock.time += DELETE_GRACE_MS;
    await alice.sync();
    assert.equal(alice.read('d.txt'), undefined);
    bob.comeBack();
    await settle([alice, bob]);
    assert.equal(alice.read('d.txt'), 'keep me\nedited offline\n');
    assert.equal(bob.read('d.txt'), 'keep me\nedited offline\n');
  });

  it('a teammate\'s edit that arrives while a deleted file waits out its grace keeps the file (simulator seed 1)', async () => {
    const { alice, bob, clock } = await pair();
    alice.write('d.txt', 'keep me\n');
    await settle([alice, bob]);
    await alice.folder.remove('d.txt');
    await alice.sync();
    // Bob, who has not heard of the delete (alice has not made it yet), types a line.
    bob.write('d.txt', 'keep me\nbob typed this\n');
    await bob.sync();
    await alice.receive();
    clock.time += DELETE_GRACE_MS;
    await alice.sync();
    await settle([alice, bob]);
    assert.equal(alice.read('d.txt'), 'keep me\nbob typed this\n');
    assert.equal(bob.read('d.txt'), 'keep me\nbob typed this\n');
    assert.ok(alice.logs.some((l) => /edited by a teammate while you deleted it/.test(l)), alice.logs.join('\n'));
  });

  it('a file moved away while a pass runs is a rename, not written back at its old path (simulator seed 18)', async () => {
    const { alice, bob, clock } = await pair();
    alice.write('a.txt', 'move me\n');
    await settle([alice, bob]);
    // The person moves the file right after the pass listed the folder.
    alice.duringNextPass(() => alice.folder.rename('a.txt', 'b.txt'));
    await alice.sync();
    await alice.sync();
    clock.time += DELETE_GRACE_MS;
    await settle([alice, bob]);
    assert.deepEqual(alice.files(), { 'b.txt': 'move me\n' });
    assert.deepEqual(bob.files(), { 'b.txt': 'move me\n' });
  });

  it('a rename and a concurrent edit end as one file with the edit; concurrent renames end as one file', async () => {
    const { alice, bob, clock } = await pair();
    alice.write('r.txt', 'rename me\n');
    alice.write('c.txt', 'contested\n');
    await settle([alice, bob]);
    bob.goOffline();
    bob.write('r.txt', 'rename me\nbob edit\n');
    await alice.folder.rename('r.txt', 'r-renamed.txt');
    await alice.folder.rename('c.txt', 'c-alice.txt');
    await bob.folder.rename('c.txt', 'c-bob.txt');
    for (const m of [alice, bob]) await m.sync();
    clock.time += DELETE_GRACE_MS;
    for (const m of [alice, bob]) await m.sync();
    bob.comeBack();
    await settle([alice, bob]);
    assert.deepEqual(bob.files(), alice.files());
    const files = alice.files();
    assert.equal(files['r-renamed.txt'], 'rename me\nbob edit\n');
    assert.equal(files['r.txt'], undefined, 'no second copy of the renamed file');
    assert.equal(Object.values(files).filter((t) => t === 'contested\n').length, 1, `one file after two renames: ${Object.keys(files).join(', ')}`);
  });

  it('a reader\'s edit is kept beside the file and never shared; teammates\' edits keep arriving', async () => {
    const { alice, bob } = await pair({}, { bob: 'reader' });
    alice.write('notes.md', 'v1\n');
    await settle([alice, bob]);
    bob.write('notes.md', 'v1\nreader line\n');
    await bob.sync();
    assert.equal(bob.read('notes.md (not shared)'), undefined);
    assert.equal(bob.read('notes (not shared).md'), 'v1\nreader line\n');
    assert.equal(bob.read('notes.md'), 'v1\n');
    alice.write('notes.md', 'v1\nv2\n');
    await settle([alice, bob]);
    assert.equal(bob.read('notes.md'), 'v1\nv2\n');
    assert.equal(alice.read('notes.md'), 'v1\nv2\n');
    assert.ok(bob.logs.some((l) => /reader/.test(l) && /not shared/.test(l)));
  });

  it('never writes through a link, and never over a local file that was not shared', async () => {
    const { alice, bob } = await pair();
    alice.write('seed.txt', 'seed\n');
    await settle([alice, bob]);
    bob.folder.links.add('link');
    bob.write('.gitignore', 'secret.env\n');
    bob.write('secret.env', 'bob\'s ignored file\n');
    await bob.stop();
    bob.write('mine.txt', 'bob\'s own, not taken in yet\n');
    alice.write('link/x.txt', 'through the link?\n');
    alice.write('mine.txt', 'alice\'s mine.txt\n');
    alice.write('secret.env', 'alice\'s secret.env\n');
    await alice.sync();
    bob.net.deliverAll(bob.replica);
    await bob.start();
    await settle([alice, bob]);
    assert.equal([...bob.folder.files.keys()].some((p) => p.startsWith('link/')), false, 'nothing written under the link');
    assert.equal(bob.read('mine.txt'), 'bob\'s own, not taken in yet\n', 'the untracked file keeps its text at its path');
    const beside = Object.entries(bob.files()).find(([, t]) => t === 'alice\'s mine.txt\n');
    assert.match(beside?.[0] ?? '', /^mine \(conflict [0-9a-f]{8}\)\.txt$/, 'the incoming text is beside it');
    assert.equal(alice.files()[beside![0]], 'alice\'s mine.txt\n', 'under the same name on the teammate\'s disk');
    assert.equal(bob.read('secret.env'), 'bob\'s ignored file\n', 'an ignored file is left alone');
  });

  it('joining merges: equal files are adopted, older copies updated, own changes since Git\'s HEAD merged, nothing of the share removed', async () => {
    const team = makeTeam([['dave', 'writer']]);
    const clock = new ManualClock();
    const carol = new MirrorMember('carol', team.owner, team.net, clock);
    carol.write('same.txt', 'same\n');
    carol.write('h.txt', 'base\n');
    carol.write('mine.txt', 'head line 1\nhead line 2\nhead line 3\n');
    await carol.start();
    carol.write('h.txt', 'base\nuncommitted edit by carol\n');
    carol.write('mine.txt', 'head line 1\ncarol line 2\nhead line 3\n');
    await carol.sync();
    const heads: Record<string, string> = { 'same.txt': 'same\n', 'h.txt': 'base\n', 'mine.txt': 'head line 1\nhead line 2\nhead line 3\n' };
    const dave = new MirrorMember('dave', team.replicas.get('dave')!, team.net, clock, { gitBase: async (p) => heads[p] });
    dave.write('same.txt', 'same\n');
    dave.write('h.txt', 'base\n');
    dave.write('mine.txt', 'head line 1\nhead line 2\nhead line 3 by dave\n');
    dave.net.deliverAll(dave.replica);
    await dave.start();
    await settle([carol, dave]);
    assert.equal(dave.read('h.txt'), 'base\nuncommitted edit by carol\n');
    assert.equal(carol.read('h.txt'), 'base\nuncommitted edit by carol\n', 'the sharer keeps her edits');
    assert.equal(carol.read('mine.txt'), 'head line 1\ncarol line 2\nhead line 3 by dave\n');
    assert.deepEqual(dave.files(), carol.files());
    assert.ok(dave.logs.some((l) => /1 equal.*1 older.*1 merged/.test(l)), dave.logs.join('\n'));
  });

  it("a joiner's mirror writes nothing before the joiner's own grant has merged; then its files are judged as a writer's", async () => {
    const team = makeTeam([]);
    const clock = new ManualClock();
    const carol = new MirrorMember('carol', team.owner, team.net, clock);
    carol.write('same.txt', 'same\n');
    carol.write('h.txt', "the share's h\n");
    carol.write('new.txt', 'only in the share\n');
    await carol.start();
    await carol.sync();
    const erinKey = keyFor('erin');
    team.owner.grant(erinKey.publicKey, 'writer', 'erin');
    const grant = team.net.publish(team.owner.flush())!;
    // Erin's keys came first (a KEYS message), and every commit before her grant.
    const replica = new ShareReplica({ shareId: team.owner.shareId, me: erinKey });
    replica.addKeys(team.owner.keyBoxesFor(erinKey.publicKey));
    for (const id of team.net.order) if (id !== grant.id) replica.receive(team.net.all.get(id)!);
    assert.equal(replica.myRole(), undefined);
    assert.ok(replica.fileAt('h.txt'), 'the share\'s files are known before the grant');
    const erin = new MirrorMember('erin', replica, team.net, clock);
    erin.write('h.txt', "erin's own h\n");
    erin.write('same.txt', 'same\n');
    await erin.start();
    await erin.sync();
    assert.deepEqual(erin.files(), { 'h.txt': "erin's own h\n", 'same.txt': 'same\n' }, 'the mirror wrote before the joiner knew its role');
    await settle([carol, erin]);
    assert.equal(erin.read('h.txt'), "the share's h\n", "the share's text keeps its path");
    assert.equal(erin.read('new.txt'), 'only in the share\n');
    const beside = Object.entries(erin.files()).filter(([p]) => /^h \(conflict [0-9a-f]{8}\)\.txt$/.test(p));
    assert.deepEqual(beside.map(([, t]) => t), ["erin's own h\n"], JSON.stringify(erin.files()));
    assert.deepEqual(carol.files(), erin.files());
    assert.ok(erin.logs.some((l) => /1 equal.*1 kept beside/.test(l)), erin.logs.join('\n'));
  });

  it('a byte-order mark and CRLF line ends round-trip exactly', async () => {
    const { alice, bob } = await pair();
    alice.write('bom.txt', '\uFEFFfirst\r\nsecond\r\n');
    await settle([alice, bob]);
    assert.deepEqual([...bob.folder.files.get('bom.txt')!.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.equal(bob.read('bom.txt'), '\uFEFFfirst\r\nsecond\r\n');
  });
});
