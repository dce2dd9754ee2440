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

describe('mirror/folder simulation regressions', () => {
  it('a file moved and edited while the mirror was down is a rename with an edit: a teammate\'s concurrent edit lands in it, no line twice (simulator seed 23)', async () => {
    const { alice, bob, clock } = await pair();
    alice.write('notes.txt', TEN_LINES);
    await settle([alice, bob]);
    await alice.stop();
    // Bob types a line at the end while alice's mirror is down.
    bob.write('notes.txt', `${TEN_LINES}bob's line\n`);
    await bob.sync();
    // Alice edits the file, moves it, and edits it again: the moved bytes differ from the recorded ones.
    alice.write('notes.txt', TEN_LINES.replace('line 3\n', 'line 3 by alice\n'));
    await alice.folder.rename('notes.txt', 'moved.txt');
    alice.write('moved.txt', alice.read('moved.txt')!.replace('line 7\n', 'line 7 by alice\n'));
    await alice.start();
    clock.time += DELETE_GRACE_MS;
    await settle([alice, bob]);
    clock.time += DELETE_GRACE_MS;
    await settle([alice, bob]);
    assert.deepEqual(bob.files(), alice.files());
    assert.deepEqual(Object.keys(alice.files()), ['moved.txt']);
    assert.equal(alice.read('moved.txt'), `${TEN_LINES.replace('line 3\n', 'line 3 by alice\n').replace('line 7\n', 'line 7 by alice\n')}bob's line\n`);
    assert.ok(alice.logs.some((l) => l === 'renamed notes.txt -> moved.txt (and edited)'), alice.logs.join('\n'));
  });
});
