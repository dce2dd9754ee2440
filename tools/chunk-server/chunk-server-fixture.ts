/**
 * A chunk server process for the transfer tests and bench/chunks.ts:
 *   node chunk-server-fixture.js <pack dir> [--tamper]
 * Serves the PackChunkStore in <pack dir> on /weft/pubsub/1 (CHUNKWANT -> CHUNK) over
 * TCP on loopback and prints one line `{"addr": ...}` once listening. With --tamper it
 * lies: every chunk it sends has one byte flipped. Stops on SIGTERM.
 */
import { randomBytes, PUBSUB_PROTOCOL, type ChunkStore } from '../../protocol/src/index.js';
import { serveChunks } from '../../protocol/runtime/index.js';
import { PackChunkStore } from '../../protocol/storage/index.js';
import { createTransport } from '../../protocol/transport/index.js';

const [dir, flag] = process.argv.slice(2);
if (!dir) throw new Error('usage: chunk-server-fixture <pack dir> [--tamper]');
const packs = await PackChunkStore.open(dir);
const store: ChunkStore =
  flag === '--tamper'
    ? Object.assign(Object.create(packs) as ChunkStore, {
        get: async (id: Parameters<ChunkStore['get']>[0]) => {
          const b = await packs.get(id);
          if (b) b[b.length >> 1]! ^= 1;
          return b;
        },
      })
    : packs;
const transport = createTransport({ identitySeed: randomBytes(32), listen: ['/ip4/127.0.0.1/tcp/0'] });
transport.handle(PUBSUB_PROTOCOL, (channel) => void serveChunks(channel, store));
await transport.start();
process.stdout.write(JSON.stringify({ addr: transport.addresses()[0] }) + '\n');
process.on('SIGTERM', () => {
  void transport
    .stop()
    .then(() => packs.close())
    .finally(() => process.exit(0));
});
