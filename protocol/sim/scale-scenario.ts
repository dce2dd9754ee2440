/**
 * The simulator at scale (`npm run bench -- sim`): many teams, each its own share of a
 * few members, over a pool of shared brokers (each team on one or two of them), typing
 * at a person's pace for a stretch of simulated time. Whole nodes throughout: every
 * member is a ShareNode and PeerRuntime, every broker a BrokerServer, on the memory
 * network and simulated disks. Returns how much work the run was and whether every
 * team converged.
 */
import { SimBroker } from './sim-broker.js';
import { SimPeer } from './sim-peer.js';
import { Simulation } from './simulation.js';

export interface ScaleOptions {
  readonly seed: number;
  /** Peers and brokers together. */
  readonly nodes: number;
  /** Simulated time of typing (default 60 s). */
  readonly simulatedMs?: number;
  /** Members per team (default 5). */
  readonly teamSize?: number;
  /** Teams per broker (default 10). */
  readonly teamsPerBroker?: number;
}

export interface ScaleResult {
  readonly peers: number;
  readonly brokers: number;
  readonly teams: number;
  readonly events: number;
  readonly commits: number;
  readonly converged: boolean;
}

export async function runScale(options: ScaleOptions): Promise<ScaleResult> {
  const sim = new Simulation({ seed: options.seed });
  const teamSize = options.teamSize ?? 5;
  const teamsPerBroker = options.teamsPerBroker ?? 10;
  // nodes = teams * teamSize + ceil(teams / teamsPerBroker)
  const teams = Math.max(1, Math.floor((options.nodes * teamsPerBroker) / (teamSize * teamsPerBroker + 1)));
  const brokerCount = Math.max(1, options.nodes - teams * teamSize);
  const brokers = Array.from({ length: brokerCount }, (_, i) => new SimBroker(sim, `b${i}`));
  for (const b of brokers) await sim.complete(b.start());

  const allTeams: SimPeer[][] = [];
  for (let t = 0; t < teams; t++) {
    const home = brokers[t % brokerCount]!;
    const members = Array.from({ length: teamSize }, (_, i) => new SimPeer(sim, { name: `t${t}m${i}` }));
    for (const m of members) m.addresses = [{ role: 'broker', addr: home.address }];
    const owner = members[0]!;
    await sim.complete(owner.createShare(`team${t}`));
    const replica = owner.node!.replica;
    replica.createFile('notes.md', 'text', '');
    for (const m of members.slice(1)) replica.grant(m.keys.publicKey, 'writer', m.name);
    await sim.complete(owner.node!.commitAll());
    for (const m of members) {
      m.shareId = owner.shareId;
      m.invitationTopics = replica.topicsNewestFirst();
      if (m !== owner) await sim.complete(m.open());
      await sim.complete(m.start());
    }
    allTeams.push(members);
  }

  // People type a line every few seconds.
  const everyone = allTeams.flat();
  let commits = 0;
  const end = sim.clock.now() + (options.simulatedMs ?? 60_000);
  const stepMs = 100;
  const typesPerStep = Math.max(1, Math.round((everyone.length * stepMs) / 4000));
  let counter = 0;
  while (sim.clock.now() < end) {
    for (let i = 0; i < typesPerStep; i++) {
      const peer = sim.pick(everyone);
      const replica = peer.node?.replica;
      const file = replica?.fileAt('notes.md');
      if (!peer.runtime?.status().joined || replica === undefined || file === undefined) continue;
      replica.edit(file, 0, 0, `${peer.name} line ${counter++}\n`);
      commits++;
      void peer.commit();
    }
    await sim.runFor(stepMs);
  }
  const same = (team: SimPeer[]): boolean => team.every((m) => m.node!.replica.heads().join() === team[0]!.node!.replica.heads().join());
  const converged = await sim.runUntil(() => allTeams.every(same), 60_000, 1000);
  return { peers: everyone.length, brokers: brokerCount, teams, events: sim.events, commits, converged };
}
