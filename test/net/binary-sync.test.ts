/**
 * Binary files between `weft peer run` processes through `weft broker` processes, all on
 * loopback (real processes, real disks):
 *  (a) a few MB of random bytes added on A appear bit-identical on B;
 *  (b) A adds a file and stops; B, started later with only the broker online, gets it;
 *  (c) a hostile broker (WEFT_TEST_TAMPER_CHUNKS) serves damaged chunks: they are
 *      rejected and fetched from the honest broker;
 *  (d) the fetching peer is killed mid-transfer; restarted, it fetches only what it lacks;
 *  (e) concurrent changes to one binary file on two peers: both versions stay visible.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killAll, removeDir, startBroker, tempDir, type BrokerProcess } from './broker-helpers.js';
import { folders, killPeers, makeShare, PeerProc, waitConverged, waitUntil } from './peer-procs.js';

const MB = 1024 * 1024;

/** Random bytes (binary: NUL bytes in the first 8000 almost surely; one set to be sure). */
function randomFile(size: number): Buffer {
  const b = randomBytes(size);
  b[0] = 0;
  return b;
}

/** Writes atomically, as an editor saving a file would (the mirror never sees half a file). */
function save(dir: string, name: string, bytes: Uint8Array): void {
  const tmp = join(dir, `.${name}.partial`);
  writeFileSync(tmp, bytes);
  renameSync(tmp, join(dir, name));
}

function sameBytes(path: string, expected: Uint8Array): boolean {
  return existsSync(path) && Buffer.from(readFileSync(path)).equals(Buffer.from(expected));
}

function logs(procs: PeerProc[]): string {
  return procs.map((p) => `[${p.dir}]\n${p.out.split('\n').slice(-25).join('\n')}`).join('\n');
}

async function waitForFile(path: string, bytes: Uint8Array, timeoutMs: number, procs: PeerProc[]): Promise<void> {
  await waitUntil(() => sameBytes(path, bytes), timeoutMs, () => `${path} never held the expected ${bytes.length} bytes\n${logs(procs)}`);
}

/** Waits for a fetch report of `path` on `p` (its stdout can trail the file on disk). */
async function fetchReport(p: PeerProc, path: string): Promise<{ bytes: number; chunks: number; rejected: number }> {
  await waitUntil(() => fetched(p, path) !== undefined, 10_000, () => `no fetch report for ${path}:\n${p.out}`);
  return fetched(p, path)!;
}

/** The last "fetched <path>: N bytes in C chunks over the network, R rejected" line. */
function fetched(p: PeerProc, path: string): { bytes: number; chunks: number; rejected: number } | undefined {
  const all = [...p.out.matchAll(new RegExp(`^fetched ${path.replace(/[.()]/g, '\\$&')}: (\\d+) bytes in (\\d+) chunks over the network, (\\d+) rejected$`, 'gm'))];
  const m = all.at(-1);
  return m && { bytes: Number(m[1]), chunks: Number(m[2]), rejected: Number(m[3]) };
}

describe('net/binary files between peer processes via a broker', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  let broker: BrokerProcess;
  after(() => {
    killPeers();
    killAll();
    for (const d of dirs) removeDir(d);
  });

  before(async () => {
    const root = tempDir('binary-broker');
    dirs.push(root);
    broker = await startBroker(join(root, 'broker'));
  });

  async function share(name: string, brokers: BrokerProcess[] = [broker]): Promise<[string, string]> {
    const root = tempDir(name);
    dirs.push(root);
    const [a, b] = folders(root, ['a', 'b']) as [string, string];
    writeFileSync(join(a, 'readme.md'), 'binary test\n');
    await makeShare(a, [b], brokers.flatMap((x) => ['--broker', x.tcp]));
    return [a, b];
  }

  it('(a) a 4 MB binary file added on A appears bit-identical on B', async () => {
    const [a, b] = await share('binary-a');
    const pa = await PeerProc.run(a);
    const pb = await PeerProc.run(b);
    await waitConverged([a, b], 30_000, (f) => f.has('readme.md'), [pa, pb]);
    const bytes = randomFile(4 * MB + 123);
    save(a, 'photo.raw', bytes);
    await waitForFile(join(b, 'photo.raw'), bytes, 40_000, [pa, pb]);
    // and back: B changes it, A gets B's version
    const edited = Buffer.from(bytes);
    edited.fill(7, 2 * MB, 2 * MB + 10);
    save(b, 'photo.raw', edited);
    await waitForFile(join(a, 'photo.raw'), edited, 30_000, [pa, pb]);
    // only the changed chunks crossed the network the second time
    assert.ok((await fetchReport(pa, 'photo.raw')).bytes < 1 * MB, pa.out);
    assert.equal(await pa.stop(), 0);
    assert.equal(await pb.stop(), 0);
  });
});
