/**
 * The simulation's scenario mix (what CI runs on 1,000 seeds, `npm run sim` on more):
 * from one seed, a team of 3 to 8 members and 1 to 3 brokers, each member on a random
 * set of brokers (some also dial a teammate directly), some losing data frames. The
 * owner creates the share with a few files and grants everyone (some as readers);
 * then, for 20 simulated seconds, people type lines at random places, delete lines,
 * readers try to write, nodes crash and restart, links partition and heal, members go
 * offline and keep typing, and sometimes the owner revokes a writer. Then every fault
 * heals and the run goes on until the team converges (or a limit passes).
 *
 * What must hold at the end (checkScenario):
 * - every live member that was not revoked has the same heads, files and texts;
 * - every line typed and acknowledged (stored) by its writer, and not deleted by an
 *   acknowledged delete, is in its file exactly once, on every such member; no line is
 *   anywhere twice;
 * - a revoked writer's lines are there if the owner had them when revoking, and never
 *   otherwise (revocation wins); a reader's attempt to write is refused;
 * - every commit a node acknowledged as stored is still in its replica;
 * - no broker stored a content key in the clear.
 *
 * Each typed line is a unique token (`@m3.17@`), so "exactly once" is a count.
 */
import { sha256Hex, toHex } from '../src/crypto/index.js';
import { NotAllowedError } from '../src/share/replica-types.js';
import type { FileId } from '../src/share/manifest.js';
import type { GrantableRole } from '../src/share/roles.js';
import { SimBroker } from './sim-broker.js';
import { SimFaults } from './sim-faults.js';
import { SimPeer } from './sim-peer.js';
import { inviteAndStart } from './sim-team.js';
import { countTokens, textsOf } from './token-lines.js';
import { Simulation } from './simulation.js';

export interface ScenarioOptions {
  readonly seed: number;
  /** Simulated time of random activity before the heal (default 20 s). */
  readonly activeMs?: number;
  /** How long to wait for convergence after the heal (default 300 s). */
  readonly settleLimitMs?: number;
  /** Crashes, partitions, offline spells and frame loss (default true). */
  readonly faults?: boolean;
  /** Override the team size (default 3 to 8 members) and broker count (1 to 3). */
  readonly members?: number;
  readonly brokers?: number;
  /** Injected bug: members' disks acknowledge writes before they are durable. The checks must catch it. */
  readonly lyingDisks?: boolean;
}

export interface ScenarioStats {
  readonly members: number;
  readonly brokers: number;
  readonly events: number;
  readonly virtualMs: number;
  readonly linesTyped: number;
  readonly linesDeleted: number;
  readonly crashes: number;
  readonly partitions: number;
  readonly revoked: boolean;
  readonly converged: boolean;
}

export interface ScenarioResult {
  readonly seed: number;
  readonly failures: string[];
  readonly stats: ScenarioStats;
  /** A hash of everything observable: the same seed must give the same fingerprint. */
  readonly fingerprint: string;
}

interface TypedLine {
  readonly token: string;
  readonly author: SimPeer;
  readonly path: string;
  acked: boolean;
  /** For a line of the writer who was revoked: did the owner hold it when revoking? */
  beforeRevocation?: boolean | undefined;
}

type Role = 'owner' | GrantableRole;

interface Member {
  readonly peer: SimPeer;
  readonly role: Role;
  revoked: boolean;
}

const TOKEN = /@m\d+\.\d+@\n/g;

export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const sim = new Simulation({ seed: options.seed });
  const faults = options.faults ?? true;
  const activeMs = options.activeMs ?? 20_000;
  const memberCount = options.members ?? 3 + sim.below(6);
  const brokerCount = options.brokers ?? 1 + sim.below(3);
  const failures: string[] = [];
  const fail = (text: string): void => {
    if (failures.length < 20) failures.push(text);
  };

  // ---- the team
  const brokers = Array.from({ length: brokerCount }, (_, i) => new SimBroker(sim, `broker${i}`));
  brokers.forEach((b, i) => (b.peerBrokers = brokers.slice(0, i).map((other) => other.address)));
  let readers = 0;
  const members: Member[] = Array.from({ length: memberCount }, (_, i) => {
    const dropRate = faults && sim.random() < 0.25 ? 0.1 : 0;
    const role: Role = i === 0 ? 'owner' : readers < 2 && sim.random() < 0.2 ? 'reader' : 'writer';
    if (role === 'reader') readers++;
    return { peer: new SimPeer(sim, { name: `m${i}`, dropRate, lyingDisk: options.lyingDisks ?? false }), role, revoked: false };
  });
  for (const m of members) {
    const mine = brokers.filter(() => sim.random() < 0.6);
    if (mine.length === 0) mine.push(sim.pick(brokers));
    m.peer.addresses = mine.map((b) => ({ role: 'broker' as const, addr: b.address }));
    const direct = members.filter((other) => other !== m);
    if (sim.random() < 0.2) m.peer.addresses.push({ role: 'peer', addr: sim.pick(direct).peer.address });
  }
  for (const b of brokers) await sim.complete(b.start());

  const owner = members[0]!;
  await sim.complete(owner.peer.createShare('sim'));
  const ownerNode = owner.peer.node!;
  const paths = Array.from({ length: 1 + sim.below(3) }, (_, i) => `f${i}.txt`);
  for (const path of paths) ownerNode.replica.createFile(path, 'text', '');
  for (const m of members.slice(1)) ownerNode.replica.grant(m.peer.keys.publicKey, m.role as GrantableRole, m.peer.name);
  await inviteAndStart(sim, owner.peer, members.map((m) => m.peer));

  // ---- activity
  const lines = new Map<string, TypedLine>();
  const deleted = new Map<string, { acked: boolean }>();
  let typed = 0;
  let revokedMember: Member | undefined;
  const nodeFaults = new SimFaults(sim, () => [...members.map((m) => m.peer), ...brokers]);
  const willRevoke = faults && memberCount > 2 && sim.random() < 0.3;
  const revokeAt = sim.clock.now() + sim.between(2000, activeMs - 2000);

  const writable = (m: Member): boolean => m.peer.running && m.peer.runtime!.status().joined && m.role !== 'reader';
  const fileOf = (m: Member, path: string): FileId | undefined => m.peer.node!.replica.fileAt(path);

  const typeLine = (m: Member): void => {
    const path = sim.pick(paths);
    const file = fileOf(m, path);
    if (file === undefined) return;
    const replica = m.peer.node!.replica;
    const text = replica.text(file);
    const starts = [0];
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    const token = `@${m.peer.name}.${typed++}@\n`;
    try {
      replica.edit(file, sim.pick(starts), 0, token);
    } catch (err) {
      if (err instanceof NotAllowedError) return; // it learnt of its revocation
      throw err;
    }
    // Typed after the owner revoked the typist (who has not heard yet): it must never be merged.
    const line: TypedLine = { token, author: m.peer, path, acked: false, ...(m.revoked ? { beforeRevocation: false } : {}) };
    lines.set(token, line);
    void m.peer.commit().then(() => (line.acked = true));
  };

  const deleteLine = (m: Member): void => {
    const path = sim.pick(paths);
    const file = fileOf(m, path);
    if (file === undefined) return;
    const text = m.peer.node!.replica.text(file);
    const found = [...text.matchAll(TOKEN)];
    if (found.length === 0) return;
    const victim = sim.pick(found);
    m.peer.node!.replica.edit(file, victim.index, victim[0].length, '');
    const record = { acked: false };
    deleted.set(victim[0], record);
    void m.peer.commit().then(() => (record.acked = true));
  };

  const readerTries = (m: Member): void => {
    const file = fileOf(m, sim.pick(paths));
    if (file === undefined) return;
    try {
      m.peer.node!.replica.edit(file, 0, 0, 'a reader writes\n');
      fail(`${m.peer.name}, a reader, could edit`);
    } catch (err) {
      if (!(err instanceof NotAllowedError)) throw err;
    }
  };

  const end = sim.clock.now() + activeMs;
  while (sim.clock.now() < end) {
    await sim.runFor(sim.between(30, 400));
    const now = sim.clock.now();
    await nodeFaults.due();
    if (willRevoke && revokedMember === undefined && now >= revokeAt && owner.peer.running) {
      const candidates = members.filter((m) => m.role === 'writer');
      if (candidates.length > 0) {
        revokedMember = sim.pick(candidates);
        revokedMember.revoked = true;
        const replica = owner.peer.node!.replica;
        const held = paths.map((p) => (replica.fileAt(p) === undefined ? '' : replica.text(replica.fileAt(p)!))).join('');
        for (const line of lines.values()) if (line.author === revokedMember.peer) line.beforeRevocation = held.includes(line.token);
        replica.revoke(revokedMember.peer.keys.publicKey);
        void owner.peer.commit();
      }
    }
    const roll = sim.random();
    const active = members.filter(writable);
    if (roll < 0.55) {
      if (active.length > 0) {
        const typist = sim.pick(active);
        typeLine(typist);
        // Sometimes the editor dies right after the keystroke (before or after its fsync).
        if (faults && sim.random() < 0.05) nodeFaults.crash(typist.peer, 10);
      }
    } else if (roll < 0.65) {
      const deleters = active.filter((m) => !m.revoked && !(willRevoke && m.role === 'writer' && revokedMember === undefined));
      if (deleters.length > 0) deleteLine(sim.pick(deleters));
    } else if (roll < 0.68) {
      const readerMembers = members.filter((m) => m.role === 'reader' && m.peer.running && m.peer.runtime!.status().joined);
      if (readerMembers.length > 0) readerTries(sim.pick(readerMembers));
    } else if (!faults) {
      continue;
    } else if (roll < 0.72) {
      nodeFaults.crashOne();
    } else if (roll < 0.76) {
      nodeFaults.partitionTwo(() => sim.between(500, 8000));
    } else if (roll < 0.78) {
      // A member goes offline (a train, a plane) and keeps typing.
      const m = sim.pick(members);
      nodeFaults.offline(m.peer, sim.between(2000, 10_000));
    }
  }

  // ---- heal everything and let the team converge (crashes already set off land first)
  await sim.runFor(25);
  await nodeFaults.healAll();
  if (revokedMember !== undefined && owner.peer.node!.replica.members().has(toHex(revokedMember.peer.keys.publicKey))) {
    // The owner crashed before the revocation was stored: it never happened.
    revokedMember.revoked = false;
    for (const line of lines.values()) if (line.author === revokedMember.peer) delete line.beforeRevocation;
    revokedMember = undefined;
  }
  const settled = members.filter((m) => !m.revoked);
  const converged = (): boolean => {
    const views = settled.map((m) => viewOf(m.peer));
    return views.every((v) => v !== undefined && v === views[0]) && settled.every((m) => m.peer.runtime!.status().joined);
  };
  const didConverge = await sim.runUntil(converged, options.settleLimitMs ?? 300_000, 500);

  // ---- checks
  if (!didConverge) {
    fail(`the team did not converge within ${(options.settleLimitMs ?? 300_000) / 1000} s after the heal: ${settled.map((m) => `${m.peer.name}: ${m.peer.node!.replica.graph.size} commits, heads ${m.peer.node!.replica.heads().map((h) => h.slice(0, 8)).join(',')}`).join('; ')}`);
  }
  for (const m of settled) checkMember(m, paths, lines, deleted, fail);
  for (const m of members) {
    for (const id of m.peer.lostOnRestart) fail(`${m.peer.name} acknowledged commit ${id.slice(0, 12)} as stored, and its log did not have it after a crash`);
    for (const id of m.peer.acked) if (!m.peer.node!.replica.has(id)) fail(`${m.peer.name} acknowledged commit ${id.slice(0, 12)} as stored, and lost it`);
  }
  const contentKeys = owner.peer.node!.replica.heldEpochs().map((e) => Buffer.from(e.key));
  for (const b of brokers) {
    for (const name of b.disk.logNames('')) {
      for (const record of b.disk.durableRecords(name)) {
        if (contentKeys.some((k) => Buffer.from(record).indexOf(k) >= 0)) fail(`${b.name} stored a content key in the clear (log ${name})`);
      }
    }
  }

  const stats: ScenarioStats = {
    members: memberCount,
    brokers: brokerCount,
    events: sim.events,
    virtualMs: sim.clock.now() - (end - activeMs),
    linesTyped: lines.size,
    linesDeleted: deleted.size,
    crashes: nodeFaults.crashes,
    partitions: nodeFaults.partitions,
    revoked: revokedMember !== undefined,
    converged: didConverge,
  };
  const fingerprint = sha256Hex(
    new TextEncoder().encode(
      JSON.stringify({
        stats,
        views: members.map((m) => viewOf(m.peer) ?? ''),
        logs: members.map((m) => m.peer.logLines).concat(brokers.map((b) => b.logLines)),
      }),
    ),
  );
  return { seed: options.seed, failures, stats, fingerprint };
}

/** A member's heads, paths and texts as one string (equal strings: converged). */
function viewOf(peer: SimPeer): string | undefined {
  const replica = peer.node?.replica;
  if (replica === undefined) return undefined;
  const files = replica
    .files()
    .map((f) => `${f.path}\u0000${f.kind === 'text' ? replica.text(f.file) : ''}`)
    .sort();
  return `${[...replica.heads()].sort().join(',')}\u0001${files.join('\u0001')}`;
}

function checkMember(m: Member, paths: readonly string[], lines: ReadonlyMap<string, TypedLine>, deleted: ReadonlyMap<string, { acked: boolean }>, fail: (text: string) => void): void {
  const replica = m.peer.node!.replica;
  const name = m.peer.name;
  const textOf = textsOf(replica, paths, (path) => fail(`${name} has no ${path}`));
  for (const [path, text] of textOf) {
    for (const [token, n] of countTokens(text, TOKEN)) {
      if (n > 1) fail(`${name}: ${token.trim()} is in ${path} ${n} times`);
      const line = lines.get(token);
      if (line === undefined) fail(`${name}: ${token.trim()} in ${path} was never typed`);
      else if (line.path !== path) fail(`${name}: ${token.trim()} typed in ${line.path} is in ${path}`);
      else if (line.beforeRevocation === false) fail(`${name}: ${token.trim()}, typed by ${line.author.name} after the owner revoked them, was merged`);
      if (deleted.get(token)?.acked) fail(`${name}: ${token.trim()} was deleted (and the delete stored) but is in ${path}`);
    }
  }
  for (const line of lines.values()) {
    if (!line.acked || deleted.has(line.token) || line.beforeRevocation === false) continue;
    if (!(textOf.get(line.path) ?? '').includes(line.token)) fail(`${name}: ${line.token.trim()}, typed by ${line.author.name} and stored, is missing from ${line.path}`);
  }
}

/** Runs seeds [from, from + count) and returns the failing ones (with their failures). */
export async function runSeeds(from: number, count: number, options: Omit<ScenarioOptions, 'seed'> = {}, onResult?: (result: ScenarioResult) => void): Promise<ScenarioResult[]> {
  const failed: ScenarioResult[] = [];
  for (let seed = from; seed < from + count; seed++) {
    const result = await runScenario({ ...options, seed });
    onResult?.(result);
    if (result.failures.length > 0) failed.push(result);
  }
  return failed;
}

