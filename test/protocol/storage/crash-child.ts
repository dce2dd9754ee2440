/**
 * Child process for crash.test.ts: opens a FileLogStore in argv[2] and appends
 * records forever, with four append calls in flight at all times (so writes are
 * group-committed), until it is killed. Record `seq` is patternRecord(seed, seq),
 * so the parent can check every record it finds. Output, one line each:
 *   open <records loaded> <bytes cut on recovery>
 *   ack <n>        records 0..n-1 are durable (printed only after append resolved)
 * stdout to a pipe is synchronous on POSIX, so a printed ack has left this process.
 */
import { FileLogStore } from '../../../protocol/storage/file-log-store.js';
import { patternRecord, seededRandom } from './test-records.js';

const [dir, seedArg] = process.argv.slice(2);
const seed = Number(seedArg);
const store = new FileLogStore(dir!, { maxSegmentBytes: Number(process.argv[4] ?? 64 * 1024 * 1024) });
const loaded = await store.open();
process.stdout.write(`open ${loaded.records.length} ${loaded.recovered?.truncatedBytes ?? 0}\n`);

let next = loaded.records.length;
const batchSize = seededRandom(seed, next);

function appendOne(): void {
  const records: Uint8Array[] = [];
  for (let n = 1 + (batchSize() % 8); n > 0; n--) records.push(patternRecord(seed, next++));
  const end = next;
  store.append(records).then(
    () => {
      process.stdout.write(`ack ${end}\n`);
      appendOne();
    },
    (err: unknown) => {
      process.stderr.write(`append failed: ${String(err)}\n`);
      process.exit(2);
    },
  );
}
for (let i = 0; i < 4; i++) appendOne();
