/**
 * A team's start in a scenario: the owner stores what it staged (files, grants) and every
 * member takes the invitation (the share id and its topics), opens its share (the owner's
 * is open already) and starts, one after the other.
 */
import type { SimPeer } from './sim-peer.js';
import type { Simulation } from './simulation.js';

/** `started(i)` runs once `peers[i]` started (a member's folder mirror, say). */
export async function inviteAndStart(sim: Simulation, owner: SimPeer, peers: readonly SimPeer[], started?: (index: number) => Promise<void>): Promise<void> {
  const node = owner.node!;
  for (const env of await sim.complete(node.commitAll())) owner.acked.add(env.id);
  const topics = node.replica.topicsNewestFirst();
  for (const [i, peer] of peers.entries()) {
    peer.shareId = owner.shareId;
    peer.invitationTopics = topics;
    if (peer !== owner) await sim.complete(peer.open());
    await sim.complete(peer.start());
    if (started) await sim.complete(started(i));
  }
}
