/**
 * Two `weft peer` processes, no broker, on loopback: the owner inits a share of its
 * folder, grants the other's key, the other joins by invitation (the owner's address is
 * in it), and both edit files on disk at the same time: the folders end identical and
 * hold every edit; a binary file comes over bit-identical, from the peer directly.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, tempDir } from './broker-helpers.js';
import { append, freePort, killPeers, makeShare, prepend, PeerProc, waitConverged, waitUntil } from './peer-procs.js';

describe('net/peer direct (two processes, no broker)', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  after(() => {
    killPeers();
    for (const d of dirs) removeDir(d);
  });

  it('co-edit files on disk concurrently and end with identical folders', async () => {
    const root = tempDir('peer-direct');
    dirs.push(root);
    const a = join(root, 'a');
    const b = join(root, 'b');
    mkdirSync(join(a, 'src'), { recursive: true });
    mkdirSync(b);
    writeFileSync(join(a, 'README.md'), '# Team\n');
    writeFileSync(join(a, 'src', 'main.ts'), 'export const x = 1;\n');
    writeFileSync(join(a, 'logo.bin'), Buffer.from([0, 1, 2, 0, 255]));
    const port = await freePort();
    const addr = `/ip4/127.0.0.1/tcp/${port}`;
    await makeShare(a, [b], ['--address', addr]);
    const pa = await PeerProc.run(a, ['--listen', addr]);
    const pb = await PeerProc.run(b);
    await waitConverged([a, b], 20_000, (f) => f.has('src/main.ts') && f.has('README.md'), [pa, pb]);
    // The binary file comes over too, from A directly (no broker here), bit-identical.
    await waitUntil(() => existsSync(join(b, 'logo.bin')), 20_000, () => pb.out);
    assert.deepEqual(readFileSync(join(b, 'logo.bin')), Buffer.from([0, 1, 2, 0, 255]));

    for (let i = 0; i < 8; i++) {
      append(a, 'README.md', `a line ${i}\n`);
      prepend(b, 'src/main.ts', `// b ${i}\n`);
      if (i === 3) writeFileSync(join(b, 'notes.txt'), 'from b\n');
      if (i === 5) writeFileSync(join(a, 'src', 'util.ts'), 'export {};\n');
      await new Promise((r) => setTimeout(r, 60));
    }
    const files = await waitConverged(
      [a, b],
      20_000,
      (f) => (f.get('README.md') ?? '').includes('a line 7') && (f.get('src/main.ts') ?? '').includes('// b 7') && f.has('notes.txt') && f.has('src/util.ts'),
      [pa, pb],
    );
    for (let i = 0; i < 8; i++) {
      assert.ok(files.get('README.md')!.includes(`a line ${i}\n`));
      assert.ok(files.get('src/main.ts')!.includes(`// b ${i}\n`));
    }
    assert.match(pb.out, /received keys/);
    assert.equal(await pa.stop(), 0);
    assert.equal(await pb.stop(), 0);
  });
});
