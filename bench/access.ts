/**
 * `npm run bench -- access`: access.merge_ms_1600 — a fresh replica merges a log of
 * 1,600 access commits (grants and revocations by the owner and two admins, in turn),
 * each evaluated on the causal DAG (issue 17; goal under 1 s). Median of 3 runs.
 */
import { signingKeyPairFromSeed, ShareReplica, type CommitEnvelope } from '../protocol/src/index.js';
import { median, record } from './report.js';

function key(n: number): ReturnType<typeof signingKeyPairFromSeed> {
  const seed = new Uint8Array(32);
  new DataView(seed.buffer).setUint32(0, n + 1);
  return signingKeyPairFromSeed(seed);
}

/** The member whose fresh replica merges the log (granted first, never revoked). */
const READER = key(5000);

function accessLog(count: number): { owner: ShareReplica; log: CommitEnvelope[] } {
  const ownerKey = key(0);
  const { replica: owner, genesis } = ShareReplica.create('bench', ownerKey);
  const log: CommitEnvelope[] = [genesis];
  owner.grant(READER.publicKey, 'reader', 'reader');
  log.push(owner.flush()!);
  for (let i = 0; log.length < count + 1; i++) {
    const member = key(1 + (i % 200));
    if (i % 4 === 3) owner.revoke(member.publicKey);
    else owner.grant(member.publicKey, i % 3 === 0 ? 'reader' : 'writer', `m${i % 200}`);
    log.push(owner.flush()!);
  }
  return { owner, log };
}

export async function run(): Promise<void> {
  const count = Number(process.env.WEFT_ACCESS_COMMITS ?? 1600);
  const { owner, log } = accessLog(count);
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const reader = new ShareReplica({ shareId: owner.shareId, me: READER });
    reader.addKeys(owner.keyBoxesFor(READER.publicKey));
    const t0 = performance.now();
    for (const env of log) reader.receive(env.bytes);
    times.push(performance.now() - t0);
    if (reader.heads().join() !== owner.heads().join()) throw new Error('the fresh replica did not merge the whole log');
  }
  record({ figure: 'access.merge_ms_1600', weft: median(times), unit: 'ms', input: `${count} access commits (grants and revocations), fresh replica`, runs: 3, note: 'goal < 1000 ms' });
}
