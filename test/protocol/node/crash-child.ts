/**
 * Child for share-node-crash.test.ts: opens (or creates) a share in argv[2] and
 * appends numbered lines to one file, one commit per line, printing "ack <n>" only
 * after commit() resolved (the commit is durable). Runs until killed.
 */
import { signingKeyPairFromSeed } from '../../../protocol/src/crypto/index.js';
import { FileLogStore } from '../../../protocol/storage/file-log-store.js';
import { ShareNode } from '../../../protocol/src/node/share-node.js';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2]!;
const me = signingKeyPairFromSeed(new Uint8Array(32).fill(7));
const idFile = join(dir, 'share-id');
let node: ShareNode;
if (!existsSync(idFile)) {
  // Killed before the share id was written: nothing was acknowledged yet, start over.
  rmSync(join(dir, 'log'), { recursive: true, force: true });
  const created = await ShareNode.create(new FileLogStore(join(dir, 'log')), 'crash', me);
  node = created.node;
  writeFileSync(idFile, Buffer.from(created.node.replica.shareId).toString('hex'));
} else {
  const shareId = new Uint8Array(Buffer.from(readFileSync(idFile, 'utf8'), 'hex'));
  node = (await ShareNode.open({ store: new FileLogStore(join(dir, 'log')), shareId, me })).node;
}
let file = node.replica.fileAt('lines.txt');
if (!file) {
  file = node.replica.createFile('lines.txt', 'text');
  await node.commit();
}
let n = node.replica.text(file).split('\n').length - 1;
process.stdout.write(`open ${n}\n`);
for (;;) {
  node.replica.edit(file, node.replica.text(file).length, 0, `line ${n}\n`);
  await node.commit();
  n++;
  process.stdout.write(`ack ${n}\n`);
}
