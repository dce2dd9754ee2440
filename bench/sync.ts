/**
 * `npm run bench -- sync`: two replicas of one share each make 10,000 signed,
 * encrypted commits (one edit each) while apart, then catch up through the sync
 * protocol. Figures: sync.diverged_bytes (both directions) and
 * sync.diverged_round_trips. Baseline 'commits': the bytes of the commits each side
 * lacked, i.e. the least any protocol must send.
 */
import { signingKeyPairFromSeed, ShareReplica, runSyncToCompletion } from '../protocol/src/index.js';
import { record } from './report.js';

export async function run(): Promise<void> {
  const N = Number(process.env.WEFT_DIVERGE ?? 10_000);
  const ownerKey = signingKeyPairFromSeed(new Uint8Array(32).fill(1));
  const bobKey = signingKeyPairFromSeed(new Uint8Array(32).fill(2));
  const { replica: owner, genesis } = ShareReplica.create('bench', ownerKey);
  owner.grant(bobKey.publicKey, 'writer', 'bob');
  const file = owner.createFile('shared.md', 'text', 'start\n');
  const setup = [genesis.bytes, owner.flush()!.bytes];
  const bob = new ShareReplica({ shareId: owner.shareId, me: bobKey });
  bob.addKeys(owner.keyBoxesFor(bobKey.publicKey));
  for (const c of setup) bob.receive(c);
  let missingBytes = 0;
  for (let i = 0; i < N; i++) {
    owner.edit(file, owner.text(file).length, 0, 'a');
    missingBytes += owner.flush()!.bytes.length;
    bob.edit(file, 0, 0, 'b');
    missingBytes += bob.flush()!.bytes.length;
  }
  const t0 = performance.now();
  const result = runSyncToCompletion(owner, bob);
  const ms = performance.now() - t0;
  if (owner.text(file) !== bob.text(file)) throw new Error('replicas differ after sync');
  const input = `${N} vs ${N} commits`;
  record({ figure: 'sync.diverged_bytes', weft: result.bytesAtoB + result.bytesBtoA, baseline: 'commits', baseline_value: missingBytes, unit: 'bytes', input });
  record({ figure: 'sync.diverged_round_trips', weft: result.roundTrips, unit: 'round_trips', input });
  record({ figure: 'sync.diverged_ms', weft: ms, unit: 'ms', input, note: 'sync run including verifying, decrypting and merging every commit' });
}
