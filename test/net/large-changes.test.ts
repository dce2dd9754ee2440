/**
 * Large changes are shared whole and never deleted (issue 14, finding 1), with real
 * `weft peer` and `weft broker` processes on loopback:
 *  - `weft peer init` of a generated 5,000-file, 60 MB source tree (nested folders, lines
 *    of every length, 60 files of 100 KB or more), then a member who joins and runs ends
 *    with every file byte-identical;
 *  - 2,000 files (24 MB) copied at once into the folder of a running member all reach
 *    the other member, and none leaves the folder it was copied into.
 * The peak memory of each process is printed (the issue's closing note needs it).
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeFolder } from '../../protocol/mirror/node-folder.js';
import { brokerSuite, folders, makeShare, PeerProc, peerCli, waitUntil } from './peer-procs.js';
import { describeMiB, peakMiB, peerCliMeasured } from './process-memory.js';
import { generateTree, treeBytes, writeTree } from './source-tree.js';

/** Paths of the folder's files as its member sees them (no .weft/, no temporary files). */
async function filesIn(dir: string): Promise<Set<string>> {
  return new Set((await (await NodeFolder.open(dir)).list()).keys());
}

/** The tree's files that `dir` lacks or holds with other bytes, and files it holds beyond them. */
async function differences(dir: string, tree: ReadonlyMap<string, string>, extra: ReadonlySet<string> = new Set()): Promise<string[]> {
  const out: string[] = [];
  const present = await filesIn(dir);
  for (const [path, text] of tree) {
    if (!present.has(path)) out.push(`missing ${path}`);
    else if (!readFileSync(join(dir, path)).equals(Buffer.from(text))) out.push(`differs ${path}`);
  }
  for (const path of present) if (!tree.has(path) && !extra.has(path)) out.push(`extra ${path}`);
  return out;
}

/** Waits until `dir` holds the tree byte for byte (a large file may be written first in part, as its commits arrive). */
async function waitForTree(dir: string, tree: ReadonlyMap<string, string>, extra: ReadonlySet<string>, timeoutMs: number, logs: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  await waitUntil(async () => (await filesIn(dir)).size >= tree.size + extra.size, timeoutMs, () => `${dir} never held all ${tree.size} files\n${logs()}`, 2000);
  let diff: string[] = [];
  await waitUntil(async () => (diff = await differences(dir, tree, extra)).length === 0, Math.max(60_000, end - Date.now()), () => `${dir} differs: ${diff.slice(0, 10).join(', ')}\n${logs()}`, 2000);
}

function lastLines(p: PeerProc, n = 25): string {
  return `[${p.dir}]\n${p.out.split('\n').filter((l) => !l.startsWith('here:')).slice(-n).join('\n')}`;
}

describe('net/large changes: a 60 MB share and 2,000 files at once, nothing lost (issue 14)', function () {
  this.timeout(900_000);
  const suite = brokerSuite('large');
  const memory: string[] = [];

  after(() => {
    if (memory.length) console.log(`      peak memory (VmHWM):\n${memory.map((m) => `        ${m}`).join('\n')}`);
  });

  it('weft peer init of a 5,000-file / 60 MB tree; a member who joins ends with every file byte-identical', async () => {
    const [owner, mate] = folders(suite.root, ['owner', 'mate']) as [string, string];
    const tree = generateTree({ files: 5000, totalBytes: 60_000_000, large: 60, seed: 14 });
    writeTree(owner, tree);
    const bytes = treeBytes(tree);
    assert.ok(bytes >= 60_000_000 && [...tree.values()].filter((t) => t.length >= 100_000).length >= 60);

    const init = await peerCliMeasured(['init', '--dir', owner, '--name', 'big', '--broker', suite.broker.tcp], 300_000);
    assert.equal(init.code, 0, `init failed:\n${init.stdout}\n${init.stderr}`);
    assert.match(init.stdout, /created share "big" with 5000 files/);
    assert.doesNotMatch(init.stderr, /Warning/, 'init printed a warning');
    memory.push(`weft peer init, ${tree.size} files / ${(bytes / 1e6).toFixed(1)} MB: ${describeMiB(init.peakMiB)} in ${(init.ms / 1000).toFixed(1)} s`);
    const invitation = init.stdout.trim().split('\n').pop()!;
    const key = (await peerCli('key', '--dir', mate)).trim();
    await peerCli('grant', key, '--role', 'writer', '--dir', owner, '--name', 'mate');
    await peerCli('join', invitation, '--dir', mate);

    const started = Date.now();
    const po = await PeerProc.run(owner, [], {}, [], 180_000);
    const pm = await PeerProc.run(mate, [], {}, [], 180_000);
    await waitForTree(mate, tree, new Set(), 600_000, () => `${lastLines(po)}\n${lastLines(pm)}`);
    const joinMs = Date.now() - started;
    assert.deepEqual(await differences(owner, tree), [], 'the owner\'s folder is unchanged');
    assert.doesNotMatch(po.out + pm.out, /exceeds the limit|commit failed|^removed /m);
    memory.push(`weft peer run (owner, 60 MB share): ${describeMiB(peakMiB(po.proc.pid))}`);
    memory.push(`weft peer run (joiner, until all 5000 files were written, ${(joinMs / 1000).toFixed(0)} s after both started): ${describeMiB(peakMiB(pm.proc.pid))}`);
    assert.equal(await pm.stop(), 0);
    assert.equal(await po.stop(), 0);
  });

  it('2,000 files copied at once into a running member\'s folder all reach the other member, and none is deleted', async () => {
    const [a, b] = folders(suite.root, ['a', 'b']) as [string, string];
    const first = generateTree({ files: 50, totalBytes: 500_000, large: 0, seed: 50, under: 'docs/' });
    writeTree(a, first);
    await makeShare(a, [b], ['--broker', suite.broker.tcp]);
    const pa = await PeerProc.run(a, [], {}, [], 60_000);
    const pb = await PeerProc.run(b, [], {}, [], 60_000);
    const logs = (): string => `${lastLines(pa)}\n${lastLines(pb)}`;
    await waitForTree(b, first, new Set(), 120_000, logs);
    const before = new Set(first.keys());

    // 2,000 files, 24 MB, generated outside the share, then copied in with one call.
    const staging = join(suite.root, 'staging');
    const copied = generateTree({ files: 2000, totalBytes: 24_000_000, large: 20, seed: 2000, under: 'copied/' });
    writeTree(staging, copied);
    cpSync(join(staging, 'copied'), join(b, 'copied'), { recursive: true });
    await waitForTree(a, copied, before, 600_000, logs);
    // None deleted from the folder they were copied into.
    assert.deepEqual(await differences(b, copied, before), [], 'the folder they were copied into still holds every copied file');
    assert.doesNotMatch(pa.out + pb.out, /exceeds the limit|commit failed|^(removed|deleted) copied\//m);
    memory.push(`weft peer run (member that took in 2,000 copied files / ${(treeBytes(copied) / 1e6).toFixed(1)} MB): ${describeMiB(peakMiB(pb.proc.pid))}`);
    memory.push(`weft peer run (member that received them): ${describeMiB(peakMiB(pa.proc.pid))}`);
    assert.equal(await pb.stop(), 0);
    assert.equal(await pa.stop(), 0);
  });
});
