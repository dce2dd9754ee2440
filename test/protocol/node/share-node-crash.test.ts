/**
 * A real child process editing a share is killed with SIGKILL at random moments,
 * many times, and restarted: every edit it acknowledged is still there, in order.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signingKeyPairFromSeed } from '../../../protocol/src/crypto/index.js';
import { ShareNode } from '../../../protocol/src/node/share-node.js';
import { FileLogStore } from '../../../protocol/storage/file-log-store.js';
import { prng } from '../../../protocol/sim/prng.js';

const child = join(dirname(fileURLToPath(import.meta.url)), 'crash-child.js');

function runUntilKilled(dir: string, killAfterAcks: number, killAfterMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acked = 0;
    let buf = '';
    let err = '';
    const kill = () => p.kill('SIGKILL');
    const timer = setTimeout(kill, killAfterMs);
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith('ack ')) {
          acked = Number(line.slice(4));
          if (acked >= killAfterAcks) kill();
        }
      }
    });
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited ${code}: ${err}`));
      else resolve(acked);
    });
  });
}

describe('node/share node survives kill -9', () => {
  it('loses no acknowledged edit across 12 random kills', async function () {
    this.timeout(240_000);
    const seed = Number(process.env.WEFT_CRASH_SEED ?? Date.now() % 100000);
    const next = prng(seed);
    const dir = mkdtempSync(join(tmpdir(), 'weft-node-crash-'));
    try {
      let acked = 0;
      for (let run = 0; run < 12; run++) {
        const got = await runUntilKilled(dir, acked + 1 + Math.floor(next() * 60), 400 + Math.floor(next() * 1500));
        acked = Math.max(acked, got);
        if (!existsSync(join(dir, 'share-id'))) {
          // Killed before the share existed: nothing can have been acknowledged.
          assert.equal(got, 0, `seed ${seed}: acks before the share was created`);
          continue;
        }
        // Reopen here and check the acknowledged prefix.
        const shareId = new Uint8Array(Buffer.from(readFileSync(join(dir, 'share-id'), 'utf8'), 'hex'));
        const { node } = await ShareNode.open({ store: new FileLogStore(join(dir, 'log')), shareId, me: signingKeyPairFromSeed(new Uint8Array(32).fill(7)) });
        const file = node.replica.fileAt('lines.txt');
        const text = file ? node.replica.text(file) : '';
        const lines = text.split('\n').filter((l) => l.length);
        assert.ok(lines.length >= acked, `seed ${seed} run ${run}: ${lines.length} lines on disk, ${acked} acknowledged`);
        lines.forEach((l, i) => assert.equal(l, `line ${i}`, `seed ${seed}: line ${i} is ${JSON.stringify(l)}`));
        await node.close();
      }
      assert.ok(acked > 12, `only ${acked} edits acknowledged in all runs`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
