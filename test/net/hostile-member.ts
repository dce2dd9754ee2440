/**
 * A dishonest member for process tests: a real member's state (its folder's log and its
 * identity, after an honest `weft peer run` gave it the share's keys), opened by the
 * test, which then commits what an honest client never would (hostile-commits.ts) and
 * publishes it to a broker like any client.
 */
import { join } from 'node:path';
import { signingKeyPairFromSeed, type SigningKeyPair } from '../../protocol/src/crypto/index.js';
import type { CommitEnvelope } from '../../protocol/src/log/commit.js';
import { ShareNode } from '../../protocol/src/node/share-node.js';
import { FileLogStore } from '../../protocol/storage/file-log-store.js';
import { readIdentitySeed } from '../../bin/identity-store.js';
import { readShare } from '../../bin/state-folder.js';
import { fromHex } from '../../protocol/src/crypto/index.js';
import { WireClient } from './broker-helpers.js';
import { memberIdentity } from './peer-procs.js';

export interface HostileMember {
  readonly node: ShareNode;
  readonly keys: SigningKeyPair;
  /** Sends the commit to the broker (and merges nothing locally). */
  publish(env: CommitEnvelope): Promise<void>;
  close(): Promise<void>;
}

/** Opens the member of `dir` (its `weft peer run` stopped) to act dishonestly through `broker`. */
export async function openHostileMember(dir: string, broker: string): Promise<HostileMember> {
  const seed = await readIdentitySeed(memberIdentity(dir));
  if (!seed) throw new Error(`no identity for ${dir}`);
  const keys = signingKeyPairFromSeed(seed);
  const share = await readShare(dir);
  const { node } = await ShareNode.open({ store: new FileLogStore(join(dir, '.weft', 'log')), shareId: fromHex(share.shareId), me: keys });
  const client = await WireClient.connect(broker);
  return {
    node,
    keys,
    publish: async (env) => {
      await client.send({ type: 'event', commit: env.bytes });
      await client.next((m) => (m.type === 'ack' && m.id === env.id) || m.type === 'error', 15_000);
    },
    close: async () => {
      await client.close();
      await node.close();
    },
  };
}
