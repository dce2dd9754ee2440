/** Helpers for share tests: members, replicas, and a seeded network of commits. */
import { generateSigningKeyPair, signingKeyPairFromSeed, type SigningKeyPair } from '../../../protocol/src/crypto/index.js';
import { openCommitBody, type CommitEnvelope } from '../../../protocol/src/log/commit.js';
import type { CommitId } from '../../../protocol/src/log/ids.js';
import { ShareReplica } from '../../../protocol/src/share/replica.js';
import type { GrantableRole } from '../../../protocol/src/share/roles.js';

import { prng } from '../../../protocol/sim/prng.js';
export { prng as rng };

export function seededRandom(next: () => number): (n: number) => Uint8Array {
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
    return out;
  };
}

export function keyFor(name: string): SigningKeyPair {
  const seed = new Uint8Array(32);
  new TextEncoder().encodeInto(name.padEnd(32, '.'), seed);
  return signingKeyPairFromSeed(seed);
}

/** Every commit ever made, so any replica can be given any subset. */
export class Network {
  readonly all = new Map<CommitId, Uint8Array>();
  readonly order: CommitId[] = [];

  publish(env: CommitEnvelope | undefined): CommitEnvelope | undefined {
    if (env && !this.all.has(env.id)) {
      this.all.set(env.id, env.bytes);
      this.order.push(env.id);
    }
    return env;
  }

  /** Delivers everything `r` lacks, in a random order (pending buffer sorts out causality). */
  deliverAll(r: ShareReplica, random: () => number = Math.random): void {
    const ids = this.order.filter((id) => !r.has(id));
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    }
    for (const id of ids) if (!r.has(id)) r.receive(this.all.get(id)!);
  }
}

export interface Team {
  net: Network;
  owner: ShareReplica;
  replicas: Map<string, ShareReplica>;
  keys: Map<string, SigningKeyPair>;
}

/** The owner creates a share and grants each named member; every replica receives the log. */
export function makeTeam(members: Array<[string, GrantableRole]>, random?: (n: number) => Uint8Array): Team {
  const net = new Network();
  const ownerKey = keyFor('owner');
  const { replica: owner, genesis } = ShareReplica.create('test share', ownerKey, random);
  net.publish(genesis);
  const keys = new Map<string, SigningKeyPair>([['owner', ownerKey]]);
  const replicas = new Map<string, ShareReplica>([['owner', owner]]);
  for (const [name, role] of members) {
    const k = keyFor(name);
    keys.set(name, k);
    owner.grant(k.publicKey, role, name);
  }
  net.publish(owner.flush());
  for (const [name] of members) {
    const r = new ShareReplica({ shareId: owner.shareId, me: keys.get(name)!, random });
    // Joining: the member's keys arrive sealed in its grant; here the member opens them
    // from the log itself after receiving the genesis and grant with the keys it was given.
    r.addKeys(owner.keyBoxesFor(keys.get(name)!.publicKey));
    net.deliverAll(r);
    replicas.set(name, r);
  }
  return { net, owner, replicas, keys };
}

export function randomKey(): SigningKeyPair {
  return generateSigningKeyPair();
}

/** A fresh replica of `name` given every published commit in a seeded random order (its keys from the owner). */
export function replay(team: Team, name: string, seed: number): ShareReplica {
  const me = team.keys.get(name)!;
  const r = new ShareReplica({ shareId: team.owner.shareId, me });
  r.addKeys(team.owner.keyBoxesFor(me.publicKey));
  team.net.deliverAll(r, prng(seed));
  return r;
}

/** Does any epoch key `r` holds open `env`? (What a revoked member must not manage.) */
export function canRead(r: ShareReplica, env: CommitEnvelope): boolean {
  return r.heldEpochs().some((k) => {
    try {
      openCommitBody(env, k.key);
      return true;
    } catch {
      return false;
    }
  });
}
