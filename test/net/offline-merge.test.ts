/**
 * Offline edits in several places of one file merge line by line (issue 14, finding 2),
 * with real `weft peer run` and `weft broker` processes: a 10-line file; Alice edits
 * lines 2, 5 and 8 while Bob's peer is down and Bob edits lines 3, 5 and 9 on disk; Bob's
 * peer comes back. Both folders end equal, every changed line is there once and in its
 * place, no old line comes back, and the two edits of line 5 both stay on line 5. Bob's
 * peer is down once stopped (SIGTERM) and once killed (SIGKILL).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokerSuite, commitsHeld, folders, makeShare, PeerProc, waitConverged, waitUntil } from './peer-procs.js';

const ORIGINAL = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`);

/** The file with some lines replaced (1-based line numbers). */
function edited(dir: string, changes: Record<number, string>): string {
  const lines = readFileSync(join(dir, 'doc.txt'), 'utf8').split('\n');
  for (const [n, text] of Object.entries(changes)) lines[Number(n) - 1] = text;
  return lines.join('\n');
}

const ALICE = { 2: 'line 2, edited by alice', 5: 'line 5, alice was here', 8: 'line 8, edited by alice' };
const BOB = { 3: 'line 3, edited by bob', 5: 'line 5, bob was here', 9: 'line 9, edited by bob' };

/** Checks the merged text line by line: the garbling (lines twice, old lines back, an edit elsewhere) fails here. */
function checkMerged(text: string): void {
  const lines = text.split('\n');
  assert.equal(lines.at(-1), '', 'the file still ends with a newline');
  lines.pop();
  assert.deepEqual(lines.slice(0, 4), ['line 1', ALICE[2], BOB[3], 'line 4'], 'lines 1-4: Alice\'s line 2 and Bob\'s line 3 in place');
  assert.deepEqual(lines.slice(-5), ['line 6', 'line 7', ALICE[8], BOB[9], 'line 10'], 'lines 6-10: Alice\'s line 8 and Bob\'s line 9 in place');
  // Line 5: both added the same way to one line; both additions stay there, once each.
  const middle = lines.slice(4, -5).join('\n');
  assert.equal(middle.split('alice was here').length - 1, 1, `Alice's line 5 once: ${JSON.stringify(middle)}`);
  assert.equal(middle.split('bob was here').length - 1, 1, `Bob's line 5 once: ${JSON.stringify(middle)}`);
  assert.ok(middle.startsWith('line 5'), `line 5 stays line 5: ${JSON.stringify(middle)}`);
  assert.equal(text.split('\n').filter((l) => /^line (2|3|8|9)$/.test(l)).length, 0, 'no old line came back');
  assert.equal(new Set(lines).size, lines.length, 'no line twice');
}

describe('net/offline edits in several places of one file merge line by line (issue 14)', function () {
  this.timeout(240_000);
  const suite = brokerSuite('offline-merge');

  for (const how of ['SIGTERM', 'SIGKILL'] as const) {
    it(`Bob's peer ${how === 'SIGTERM' ? 'stopped' : 'killed with SIGKILL'}: both folders equal, each changed line once and in its place`, async () => {
      const [a, b] = folders(suite.root, [`alice-${how}`, `bob-${how}`]) as [string, string];
      writeFileSync(join(a, 'doc.txt'), `${ORIGINAL.join('\n')}\n`);
      await makeShare(a, [b], ['--broker', suite.broker.tcp]);
      const pa = await PeerProc.run(a);
      let pb = await PeerProc.run(b);
      await waitConverged([a, b], 60_000, (f) => f.get('doc.txt') === `${ORIGINAL.join('\n')}\n`, [pa, pb]);

      if (how === 'SIGTERM') assert.equal(await pb.stop(), 0);
      else {
        pb.proc.kill('SIGKILL');
        await pb.exited;
      }
      const held = commitsHeld(pa);
      writeFileSync(join(a, 'doc.txt'), edited(a, ALICE));
      writeFileSync(join(b, 'doc.txt'), edited(b, BOB));
      // Alice's edit is committed (and sent) while Bob is away.
      await waitUntil(() => commitsHeld(pa) > held, 30_000, () => `Alice's edit was not committed:\n${pa.out}`);

      pb = await PeerProc.run(b);
      const files = await waitConverged([a, b], 60_000, (f) => (f.get('doc.txt') ?? '').includes('bob was here') && (f.get('doc.txt') ?? '').includes('alice was here'), [pa, pb]);
      checkMerged(files.get('doc.txt')!);
      assert.deepEqual([...files.keys()], ['doc.txt'], 'no other file appeared');
      assert.equal(await pb.stop(), 0);
      assert.equal(await pa.stop(), 0);
    });
  }
});
