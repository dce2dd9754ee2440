/**
 * Defects the folder simulation found (protocol/sim/folder-scenario.ts), each as the
 * smallest run of the real mirrors over folders in memory: the seed names the run that
 * showed it (`runFolderScenario({ seed, trace: true })` replays it).
 */
import assert from 'node:assert/strict';
import { DELETE_GRACE_MS } from '../../../protocol/mirror/text-mirror.js';
import { makeTeam } from '../share/harness.js';
import { ManualClock, MirrorMember, settle } from './mirror-harness.js';

const TEN_LINES = Array.from({ length: 10 }, (_, i) => `line ${i + 1}\n`).join('');

async function pair(): Promise<{ alice: MirrorMember; bob: MirrorMember; clock: ManualClock }> {
  const team = makeTeam([['bob', 'writer']]);
  const clock = new ManualClock();
  const alice = new MirrorMember('alice', team.owner, team.net, clock);
  const bob = new MirrorMember('bob', team.replicas.get('bob')!, team.net, clock);
  await alice.start();
  await bob.start();
  return { alice, bob, clock };
}

/**
 * Alice's mirror is down while bob types a line at the end of notes.txt and alice's
 * person does `moveAndEdit`; then alice's mirror starts and the team settles past the
 * deletes' grace.
 */
async function movedWhileDown(moveAndEdit: (alice: MirrorMember) => Promise<void>): Promise<{ alice: MirrorMember; bob: MirrorMember }> {
  const { alice, bob, clock } = await pair();
  alice.write('notes.txt', TEN_LINES);
  await settle([alice, bob]);
  await alice.stop();
  bob.write('notes.txt', `${TEN_LINES}bob's line\n`);
  await bob.sync();
  await moveAndEdit(alice);
  await alice.start();
  for (let i = 0; i < 2; i++) {
    clock.time += DELETE_GRACE_MS;
    await settle([alice, bob]);
  }
  assert.deepEqual(bob.files(), alice.files());
  return { alice, bob };
}

describe('mirror/folder simulation regressions', () => {
  it('a file moved and edited while the mirror was down is a rename with an edit: a teammate\'s concurrent edit lands in it, no line twice (simulator seed 23)', async () => {
    // Alice edits the file, moves it, and edits it again: the moved bytes differ from the recorded ones.
    const { alice } = await movedWhileDown(async (alice) => {
      alice.write('notes.txt', TEN_LINES.replace('line 3\n', 'line 3 by alice\n'));
      await alice.folder.rename('notes.txt', 'moved.txt');
      alice.write('moved.txt', alice.read('moved.txt')!.replace('line 7\n', 'line 7 by alice\n'));
    });
    assert.deepEqual(alice.files(), { 'moved.txt': `${TEN_LINES.replace('line 3\n', 'line 3 by alice\n').replace('line 7\n', 'line 7 by alice\n')}bob's line\n` });
    assert.ok(alice.logs.some((l) => l === 'renamed notes.txt -> moved.txt (and edited)'), alice.logs.join('\n'));
  });

  it('a file moved, then grown by a paste while the mirror was down, is still a rename: no line twice (simulator seed 167)', async () => {
    // Moved, then 30 lines pasted in: a quarter of the new text is the old one (Git would call it a new file).
    const paste = Array.from({ length: 30 }, (_, i) => `pasted ${i + 1}\n`).join('');
    const { alice } = await movedWhileDown(async (alice) => {
      await alice.folder.rename('notes.txt', 'moved.txt');
      alice.write('moved.txt', `${paste}${TEN_LINES}`);
    });
    assert.deepEqual(alice.files(), { 'moved.txt': `${paste}${TEN_LINES}bob's line\n` });
  });

  it('a crash between the record of a new file\'s write and the write is no delete: the file is written at the restart (simulator seed 5)', async () => {
    const { alice, bob, clock } = await pair();
    bob.write('new.txt', 'from bob\n');
    await bob.sync();
    // Alice's mirror dies right after recording the write of new.txt (pending), before the file is written.
    let recorded!: () => void;
    const dying = new Promise<void>((resolve) => (recorded = resolve));
    const write = alice.folder.write.bind(alice.folder);
    alice.folder.write = (path, bytes, expected) => {
      if (path !== 'new.txt') return write(path, bytes, expected);
      recorded();
      return new Promise(() => {}); // a dead process's call never returns
    };
    void alice.receive();
    await dying;
    alice.folder.write = write;
    alice.mirror = undefined;
    await alice.start();
    for (let i = 0; i < 2; i++) {
      clock.time += DELETE_GRACE_MS;
      await settle([alice, bob]);
    }
    assert.deepEqual(alice.files(), { 'new.txt': 'from bob\n' });
    assert.deepEqual(bob.files(), { 'new.txt': 'from bob\n' });
  });

  it('a file a person moves while the pass moves it after a teammate\'s rename is not written a second time (simulator seed 162)', async () => {
    const { alice, bob, clock } = await pair();
    alice.write('a.txt', TEN_LINES);
    await settle([alice, bob]);
    await bob.folder.rename('a.txt', 'b.txt');
    await bob.sync();
    // Alice's pass that brings bob's rename lists a.txt; then her person moves it to c.txt.
    alice.duringNextPass(() => alice.folder.rename('a.txt', 'c.txt'));
    await alice.receive();
    for (let i = 0; i < 2; i++) {
      clock.time += DELETE_GRACE_MS;
      await settle([alice, bob]);
    }
    assert.deepEqual(bob.files(), alice.files());
    assert.deepEqual(Object.values(alice.files()), [TEN_LINES], `one file: ${Object.keys(alice.files()).join(', ')}`);
  });

  it('a crash between the mirror\'s move of a file to its conflict name and the record of it: the file is still that entry, edits on both sides land once (simulator seed 49)', async () => {
    const { alice, bob, clock } = await pair();
    bob.write('same.txt', 'bob 1\n'); // made first: it keeps the path
    await bob.sync();
    clock.time += 10;
    alice.write('same.txt', 'alice 1\nalice 2\n');
    await alice.sync();
    // Alice's mirror gets bob's file and moves hers beside it; it dies before recording the move.
    const rename = alice.folder.rename.bind(alice.folder);
    let moved!: (to: string) => void;
    const dying = new Promise<string>((resolve) => (moved = resolve));
    alice.folder.rename = async (from, to) => {
      await rename(from, to);
      alice.folder.rename = rename;
      moved(to);
      return new Promise(() => {}); // a dead process's call never returns
    };
    void alice.receive();
    const beside = await dying;
    assert.match(beside, /^same \(conflict [0-9a-f]{8}\)\.txt$/);
    alice.mirror = undefined;
    // While alice's mirror is down, bob types a line into her file, and she edits it.
    await bob.receive();
    bob.write(beside, `${bob.read(beside)}bob typed\n`);
    await bob.sync();
    alice.write(beside, 'alice 0\nalice 1\nalice 2\n');
    await alice.start();
    for (let i = 0; i < 2; i++) {
      clock.time += DELETE_GRACE_MS;
      await settle([alice, bob]);
    }
    assert.deepEqual(bob.files(), alice.files());
    assert.deepEqual(alice.files(), { 'same.txt': 'bob 1\n', [beside]: 'alice 0\nalice 1\nalice 2\nbob typed\n' });
  });

  it('a teammate\'s edit that merges between the staging of a delete and its commit keeps the file (simulator seed 255)', async () => {
    const { alice, bob, clock } = await pair();
    alice.write('d.txt', 'keep me\n');
    await settle([alice, bob]);
    bob.write('d.txt', 'keep me\nbob typed this\n');
    await bob.sync();
    await alice.folder.remove('d.txt');
    await alice.sync();
    clock.time += DELETE_GRACE_MS;
    // The delete is staged unaware of bob's edit; bob's commit merges before the flush (a
    // runtime commits in its queue, behind received commits), so it is in the delete's causal past.
    const flush = alice.replica.flush.bind(alice.replica);
    alice.replica.flush = () => {
      alice.replica.flush = flush;
      alice.net.deliverAll(alice.replica);
      return flush();
    };
    await alice.sync();
    await settle([alice, bob]);
    assert.deepEqual(alice.files(), { 'd.txt': 'keep me\nbob typed this\n' });
    assert.deepEqual(bob.files(), alice.files());
  });

  it('an edit found on disk after a teammate\'s delete brings the file back: with another teammate\'s concurrent edit, one file, no line twice (simulator seed 178)', async () => {
    const team = makeTeam([
      ['bob', 'writer'],
      ['carol', 'writer'],
    ]);
    const clock = new ManualClock();
    const [alice, bob, carol] = (['alice', 'bob', 'carol'] as const).map((name) => new MirrorMember(name, name === 'alice' ? team.owner : team.replicas.get(name)!, team.net, clock));
    for (const m of [alice!, bob!, carol!]) await m.start();
    const all = [alice!, bob!, carol!];
    alice!.write('notes.txt', TEN_LINES);
    await settle(all);
    // Bob edits offline; alice deletes the file; carol edits it, and her mirror hears of the delete first.
    bob!.goOffline();
    bob!.write('notes.txt', `${TEN_LINES}bob's line\n`);
    await bob!.sync();
    await alice!.folder.remove('notes.txt');
    await alice!.sync();
    clock.time += DELETE_GRACE_MS;
    await alice!.sync();
    carol!.write('notes.txt', `carol's line\n${TEN_LINES}`);
    await carol!.receive();
    bob!.comeBack();
    await settle(all);
    for (const m of all) assert.deepEqual(m.files(), { 'notes.txt': `carol's line\n${TEN_LINES}bob's line\n` }, m.name);
  });

  it('a crash after a teammate\'s new file was written, before its record settled, then a paste into it: an edit of that file, not a file of its own (simulator seed 311)', async () => {
    const { alice, bob, clock } = await pair();
    bob.write('new.txt', 'from bob\n');
    await bob.sync();
    await diesAfterWriting(alice);
    const paste = Array.from({ length: 30 }, (_, i) => `pasted ${i + 1}\n`).join('');
    alice.write('new.txt', `from bob\n${paste}`);
    await restartAndSettle(alice, bob, clock);
    assert.deepEqual(alice.files(), { 'new.txt': `from bob\n${paste}` });
  });

  it('a crash after a teammate\'s edit was written, before its record settled, then a paste: the edit is in the file once (simulator seed 272)', async () => {
    const { alice, bob, clock } = await pair();
    alice.write('notes.txt', TEN_LINES);
    await settle([alice, bob]);
    bob.write('notes.txt', `${TEN_LINES}bob's line\n`);
    await bob.sync();
    await diesAfterWriting(alice);
    const paste = Array.from({ length: 30 }, (_, i) => `pasted ${i + 1}\n`).join('');
    alice.write('notes.txt', `${paste}${alice.read('notes.txt')!}`);
    await restartAndSettle(alice, bob, clock);
    assert.deepEqual(alice.files(), { 'notes.txt': `${paste}${TEN_LINES}bob's line\n` });
  });
});

/** The member's next pass (on receiving) writes a file, and the mirror dies before it records the write as done. */
async function diesAfterWriting(m: MirrorMember): Promise<void> {
  let written!: () => void;
  const dying = new Promise<void>((resolve) => (written = resolve));
  const write = m.folder.write.bind(m.folder);
  m.folder.write = async (path, bytes, expected) => {
    await write(path, bytes, expected);
    m.folder.write = write;
    written();
    return new Promise(() => {}); // a dead process's call never returns
  };
  void m.receive();
  await dying;
  m.mirror = undefined;
}

async function restartAndSettle(m: MirrorMember, teammate: MirrorMember, clock: ManualClock): Promise<void> {
  await m.start();
  for (let i = 0; i < 2; i++) {
    clock.time += DELETE_GRACE_MS;
    await settle([m, teammate]);
  }
  assert.deepEqual(teammate.files(), m.files());
}
