/**
 * The dishonest mix (issue 17; `npm run sim -- --mix dishonest`): from one seed, a team of
 * whole nodes (the real ShareNode, PeerRuntime and BrokerServer over the simulated network
 * and disks) in which one writer, mallory, is dishonest (dishonest-member.ts: it equivocates,
 * leaves out its own commits, backdates, floods, sends junk frames) and admins act
 * concurrently. The owner, two admins (alice, bob), writers (carol, dave, sometimes erin)
 * and a reader (rita) type, delete and try to write as in the scenario mix; nodes crash,
 * links partition, frames are lost. Once per seed, one of:
 * - mutual: alice and bob, each offline, revoke each other;
 * - two-members: alice and bob, each offline, revoke two different members;
 * - owner-vs-admin: the owner, offline, revokes an admin who, offline too, revokes someone
 *   (and so rotates);
 * and often an admin revokes mallory, who goes on attacking (backdating most of all).
 * Then every fault heals and the team settles.
 *
 * What must hold (dishonest-checks.ts): honest replicas holding the same commits agree on
 * files, text, members and roles, epochs, verdicts and forks, and every honest member in the
 * end holds the same commits; no member revoked in the end can open what an honest member
 * wrote after merging its revocation (effective then and in the end); every line an honest
 * member (a member in the end) typed and stored is there once; a line typed after its
 * typist's revocation (effective in the end) was stored is nowhere; a reader's edit is
 * refused; no honest node or broker logs an internal error, or loses a commit it
 * acknowledged.
 */
import { sha256Hex, toHex } from '../src/crypto/index.js';
import { decodeCommitEnvelope } from '../src/log/commit.js';
import { topicHex, type EpochKeys } from '../src/share/keys.js';
import { NotAllowedError } from '../src/share/replica-types.js';
import { ShareReplica } from '../src/share/replica.js';
import { canWrite, type GrantableRole } from '../src/share/roles.js';
import { checkAgreement, checkLines, effectiveRevocations, findLeaks, openLog, TOKEN, viewOf, type Observed, type TypedLine } from './dishonest-checks.js';
import { ATTACKS, DishonestMember, type Attack } from './dishonest-member.js';
import type { MemoryTransport } from './memory-network.js';
import { SimBroker } from './sim-broker.js';
import { SimPeer } from './sim-peer.js';
import { inviteAndStart } from './sim-team.js';
import { Simulation } from './simulation.js';

export type AdminPlay = 'mutual' | 'two-members' | 'owner-vs-admin';

export interface DishonestOptions {
  readonly seed: number;
  /** Simulated time of activity before the heal (default 16 s). */
  readonly activeMs?: number;
  /** How long the team may take to settle after the heal (default 240 s). */
  readonly settleLimitMs?: number;
  /** Crashes, partitions, offline spells and frame loss (default true). */
  readonly faults?: boolean;
  /** The dishonest member's attacks (default DEFAULT_ATTACKS). */
  readonly attacks?: readonly Attack[];
  /**
   * Injected bug, to show the checks fail: a member revoked in the end also holds the
   * epoch key honest members write on in the end (as if a rotation had been sealed to it).
   */
  readonly bug?: 'revoked-keeps-key';
  /** Called after the checks with every member's replica (by name) and the auditor's: to look into a failing seed. */
  readonly inspect?: (replicas: ReadonlyMap<string, ShareReplica>, auditor: ShareReplica) => void;
}

/** The attacks a run uses unless told otherwise (`--attacks a,b`): every one (docs/TESTING.md says what each found). */
export const DEFAULT_ATTACKS: readonly Attack[] = ATTACKS;

export interface DishonestStats {
  readonly members: number;
  readonly brokers: number;
  readonly play: AdminPlay;
  readonly events: number;
  readonly virtualMs: number;
  readonly linesTyped: number;
  readonly crashes: number;
  readonly partitions: number;
  /** Revocations stored by their admin, and the members revoked in the end. */
  readonly revocations: number;
  readonly revokedInEnd: string[];
  /** Members the owner granted again after the heal (someone had tried to revoke them, so nobody hands them keys). */
  readonly regrants: number;
  readonly commits: number;
  readonly forks: number;
  readonly attacks: Record<Attack, number>;
  readonly craftedCommits: number;
  readonly converged: boolean;
}

export interface DishonestResult {
  readonly seed: number;
  readonly failures: string[];
  /** Found but not failing: replicas that agree on everything but the reason they give for a commit's verdict (open). */
  readonly notes: string[];
  readonly stats: DishonestStats;
  /** A hash of everything observable: the same seed gives the same fingerprint. */
  readonly fingerprint: string;
}

type Role = 'owner' | GrantableRole;

interface Member {
  readonly name: string;
  readonly peer: SimPeer;
  readonly role: Role;
  readonly honest: boolean;
}

interface RevocationRecord {
  readonly admin: string;
  readonly target: string;
  /** When the admin's commit() after staging it resolved: the revocation was stored by then. */
  storedAt: number | undefined;
}

type SimNode = { kind: 'peer'; member: Member } | { kind: 'broker'; broker: SimBroker };

/** Who is who (mallory is the dishonest one); half the seeds add a writer, erin. */
const TEAM: Readonly<Record<string, Role>> = { owner: 'owner', alice: 'admin', bob: 'admin', carol: 'writer', dave: 'writer', rita: 'reader', mallory: 'writer' };
const BUDGET: Partial<Record<Attack, number>> = { flood: 1, 'missing-deps': 2, junk: 3, 'topic-flood': 1, 'poison-keys': 1 };

export async function runDishonestMix(options: DishonestOptions): Promise<DishonestResult> {
  const sim = new Simulation({ seed: options.seed });
  const faults = options.faults ?? true;
  const activeMs = options.activeMs ?? 16_000;
  const settleLimitMs = options.settleLimitMs ?? 240_000;
  const attacks = options.attacks ?? DEFAULT_ATTACKS;
  const failures: string[] = [];
  const notes: string[] = [];
  const fail = (text: string): void => {
    if (failures.length < 30) failures.push(text);
  };

  // ---- the team
  const team = Object.entries<Role>(sim.random() < 0.5 ? { ...TEAM, erin: 'writer' } : TEAM);
  const brokers = Array.from({ length: 1 + sim.below(2) }, (_, i) => new SimBroker(sim, `broker${i}`));
  brokers.forEach((b, i) => (b.peerBrokers = brokers.slice(0, i).map((other) => other.address)));
  const members: Member[] = team.map(([name, role]) => {
    const honest = name !== 'mallory';
    const dropRate = faults && sim.random() < 0.25 ? 0.1 : 0;
    return { name, role, honest, peer: new SimPeer(sim, { name, dropRate, ...(honest ? {} : { maxFrameBytes: 8 << 20 }) }) };
  });
  const byName = (name: string): Member => members.find((m) => m.name === name)!;
  const [owner, alice, bob] = [byName('owner'), byName('alice'), byName('bob')];
  const mallory = byName('mallory');
  const honest = members.filter((m) => m.honest);
  for (const m of members) {
    const mine = m.honest ? brokers.filter(() => sim.random() < 0.6) : [...brokers];
    if (mine.length === 0) mine.push(sim.pick(brokers));
    m.peer.addresses = mine.map((b) => ({ role: 'broker' as const, addr: b.address }));
    for (let n = m.honest ? (sim.random() < 0.2 ? 1 : 0) : 1 + sim.below(2); n > 0; n--) m.peer.addresses.push({ role: 'peer', addr: sim.pick(members.filter((o) => o !== m)).peer.address });
  }

  const lines = new Map<string, TypedLine>();
  let typed = 0;
  const mint = (author: string, path: string): TypedLine => {
    const line: TypedLine = { token: `@${author}.${typed++}@\n`, author, path, typedAt: sim.clock.now(), acked: false, deleted: false };
    lines.set(line.token, line);
    return line;
  };
  const dishonest = new DishonestMember({
    sim,
    peer: mallory.peer,
    mint: (path) => mint('mallory', path).token,
    targets: () => [...brokers.map((b) => ({ addr: b.address, publicKey: b.keys.publicKey })), ...honest.map((m) => ({ addr: m.peer.address, publicKey: m.peer.keys.publicKey }))],
  });
  const revocations: RevocationRecord[] = [];
  const play: AdminPlay = sim.pick(['mutual', 'two-members', 'owner-vs-admin'] as const);
  let crashes = 0;
  let partitionCount = 0;
  let converged = false;
  let regrants = 0;
  const activeStart = sim.clock.now();
  const paths = Array.from({ length: 1 + sim.below(2) }, (_, i) => `f${i}.txt`);

  const honestThrew = (m: Member, what: string, err: unknown): void => fail(`${m.name}: ${what} threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);

  try {
    for (const b of brokers) await sim.complete(b.start());
    await sim.complete(owner.peer.createShare('dishonest'));
    const ownerNode = owner.peer.node!;
    for (const path of paths) ownerNode.replica.createFile(path, 'text', '');
    for (const m of members.slice(1)) ownerNode.replica.grant(m.peer.keys.publicKey, m.role as GrantableRole, m.name);
    await inviteAndStart(sim, owner.peer, members.map((m) => m.peer));
    await sim.runUntil(() => members.every((m) => m.peer.runtime!.status().joined), 30_000);

    // ---- actions
    const replicaOf = (m: Member): ShareReplica => m.peer.node!.replica;
    const writable = (m: Member): boolean => m.peer.running && m.peer.runtime!.status().joined && canWrite(replicaOf(m).myRole());

    const typeLine = (m: Member): void => {
      const replica = replicaOf(m);
      const path = sim.pick(paths);
      const file = replica.fileAt(path);
      if (file === undefined) return;
      const line = mint(m.name, path);
      try {
        replica.edit(file, sim.pick(lineStarts(replica.text(file))), 0, line.token);
      } catch (err) {
        lines.delete(line.token);
        if (err instanceof NotAllowedError) return; // it learnt of its revocation
        throw err;
      }
      void m.peer.commit().then(
        () => (line.acked = true),
        (err: unknown) => (m.honest ? honestThrew(m, 'commit', err) : undefined),
      );
    };

    const deleteLine = (m: Member): void => {
      const replica = replicaOf(m);
      const file = replica.fileAt(sim.pick(paths));
      if (file === undefined) return;
      const found = [...replica.text(file).matchAll(TOKEN)];
      if (found.length === 0) return;
      const victim = sim.pick(found);
      replica.edit(file, victim.index, victim[0].length, '');
      const line = lines.get(victim[0]);
      if (line) line.deleted = true;
      void m.peer.commit().catch((err: unknown) => honestThrew(m, 'commit', err));
    };

    const readerTries = (m: Member): void => {
      const file = replicaOf(m).fileAt(sim.pick(paths));
      if (file === undefined) return;
      try {
        replicaOf(m).edit(file, 0, 0, 'a reader writes\n');
        fail(`${m.name}, a reader, could edit`);
      } catch (err) {
        if (!(err instanceof NotAllowedError)) throw err;
      }
    };

    const revoke = (admin: Member, target: Member): void => {
      if (!admin.peer.running) return;
      const replica = replicaOf(admin);
      if (!replica.members().has(toHex(target.peer.keys.publicKey))) return;
      try {
        replica.revoke(target.peer.keys.publicKey);
      } catch (err) {
        if (err instanceof NotAllowedError) return; // no longer an admin in its view
        throw err;
      }
      const record: RevocationRecord = { admin: admin.name, target: target.name, storedAt: undefined };
      revocations.push(record);
      void admin.peer.commit().then(
        () => (record.storedAt = sim.clock.now()),
        (err: unknown) => honestThrew(admin, 'commit', err),
      );
    };

    // ---- faults
    const nodes = (): SimNode[] => [...members.map((member) => ({ kind: 'peer' as const, member })), ...brokers.map((broker) => ({ kind: 'broker' as const, broker }))];
    const transportOf = (n: SimNode): MemoryTransport => (n.kind === 'peer' ? n.member.peer.transport : n.broker.transport);
    const isRunning = (n: SimNode): boolean => (n.kind === 'peer' ? n.member.peer.running : n.broker.running);
    const restarts: Array<{ at: number; node: SimNode }> = [];
    const heals: Array<{ at: number; a: SimNode; b: SimNode }> = [];
    const scheduled: Array<{ at: number; run: () => void }> = [];
    const restart = async (n: SimNode): Promise<void> => {
      if (n.kind === 'peer') await n.member.peer.restart();
      else await n.broker.restart();
    };
    const crashOne = (): void => {
      const victim = sim.pick(nodes().filter(isRunning));
      sim.clock.after(sim.between(0, 20), () => {
        if (!isRunning(victim)) return;
        if (victim.kind === 'peer') victim.member.peer.crash();
        else victim.broker.crash();
        crashes++;
        restarts.push({ at: sim.clock.now() + sim.between(300, 4000), node: victim });
      });
    };
    const partitionPair = (a: SimNode, b: SimNode, forMs: number): void => {
      sim.network.partition(transportOf(a), transportOf(b));
      partitionCount++;
      heals.push({ at: sim.clock.now() + forMs, a, b });
    };
    const offline = (m: Member, forMs: number): void => {
      for (const other of nodes()) if (!(other.kind === 'peer' && other.member === m)) partitionPair({ kind: 'peer', member: m }, other, forMs);
    };
    const at = (delay: number, run: () => void): void => {
      scheduled.push({ at: sim.clock.now() + delay, run });
    };

    // ---- the admins' play: the two actors offline at once, each acting alone
    const playAt = sim.between(2000, activeMs - 9000);
    const others = (...not: Member[]): Member[] => members.filter((m) => m !== owner && m !== alice && m !== bob && !not.includes(m));
    at(playAt, () => {
      const spell = sim.between(3000, 8000);
      const act = (run: () => void): void => at(sim.between(200, spell - 500), run);
      if (play === 'mutual') {
        offline(alice, spell);
        offline(bob, spell);
        act(() => revoke(alice, bob));
        act(() => revoke(bob, alice));
      } else if (play === 'two-members') {
        const x = sim.pick(others());
        const y = sim.pick(others(x));
        offline(alice, spell);
        offline(bob, spell);
        act(() => revoke(alice, x));
        act(() => revoke(bob, y));
      } else {
        const admin = sim.pick([alice, bob]);
        const x = sim.pick(others());
        offline(owner, spell);
        offline(admin, spell);
        act(() => revoke(owner, admin));
        act(() => revoke(admin, x));
      }
    });
    if (sim.random() < 0.6) at(sim.between(2000, activeMs - 3000), () => revoke(sim.pick([owner, alice, bob]), mallory));

    // ---- activity
    const used: Partial<Record<Attack, number>> = {};
    const end = activeStart + activeMs;
    while (sim.clock.now() < end) {
      await sim.runFor(sim.between(30, 400));
      const now = sim.clock.now();
      for (const r of restarts.filter((r) => r.at <= now)) {
        restarts.splice(restarts.indexOf(r), 1);
        await sim.complete(restart(r.node));
      }
      for (const h of heals.filter((h) => h.at <= now)) {
        heals.splice(heals.indexOf(h), 1);
        sim.network.heal(transportOf(h.a), transportOf(h.b));
      }
      for (const s of scheduled.filter((s) => s.at <= now)) {
        scheduled.splice(scheduled.indexOf(s), 1);
        s.run();
      }
      const roll = sim.random();
      if (roll < 0.45) {
        const typists = honest.filter(writable);
        if (typists.length > 0) typeLine(sim.pick(typists));
      } else if (roll < 0.52) {
        const deleters = honest.filter(writable);
        if (deleters.length > 0) deleteLine(sim.pick(deleters));
      } else if (roll < 0.54) {
        const readers = honest.filter((m) => m.role === 'reader' && m.peer.running && m.peer.runtime!.status().joined);
        if (readers.length > 0) readerTries(sim.pick(readers));
      } else if (roll < 0.66) {
        if (mallory.peer.running && mallory.peer.runtime!.status().joined) typeLine(mallory);
      } else if (roll < 0.8) {
        const open = attacks.filter((a) => (used[a] ?? 0) < (BUDGET[a] ?? Infinity));
        if (open.length > 0) {
          const kind = sim.pick(open);
          used[kind] = (used[kind] ?? 0) + 1;
          dishonest.attack(kind, paths);
        }
      }
      if (!faults) continue;
      const fault = sim.random();
      if (fault < 0.015) crashOne();
      else if (fault < 0.045) {
        const all = nodes();
        const a = sim.pick(all);
        partitionPair(a, sim.pick(all.filter((n) => n !== a)), sim.between(500, 6000));
      } else if (fault < 0.06) offline(sim.pick(members), sim.between(2000, 8000));
    }

    // ---- heal everything and let the team settle
    await sim.runFor(25);
    for (const h of heals.splice(0)) sim.network.heal(transportOf(h.a), transportOf(h.b));
    for (const r of restarts.splice(0)) await sim.complete(restart(r.node));
    for (const s of scheduled.splice(0)) s.run();
    // A member someone tried to revoke gets no handover (the attempt may still win); once
    // the team is back together, the owner grants such a member again (as the owner would,
    // told by the share's view), which seals it every epoch.
    let regranting = false;
    const grantAgain = (): void => {
      const replica = owner.peer.running ? replicaOf(owner) : undefined;
      if (regranting || replica === undefined) return;
      const lacking = replica.membersLackingKeys().map((hex) => members.find((m) => toHex(m.peer.keys.publicKey) === hex)!);
      if (lacking.length === 0) return;
      for (const m of lacking) replica.grant(m.peer.keys.publicKey, replica.members().get(toHex(m.peer.keys.publicKey))!.role as GrantableRole, m.name);
      regrants += lacking.length;
      regranting = true;
      void owner.peer.commit().then(
        () => (regranting = false),
        (err: unknown) => honestThrew(owner, 'commit', err),
      );
    };
    converged = await sim.runUntil(
      () => {
        grantAgain();
        // A regrant under way is a commit the others have yet to receive.
        return !regranting && settled(owner, honest);
      },
      settleLimitMs,
      500,
    );

    // ---- checks
    const auditor = auditorOf(owner, honest);
    const opened = openLog(auditor);
    const finalMembers = auditor.members();
    const inEnd = (m: Member): boolean => finalMembers.has(toHex(m.peer.keys.publicKey));
    const observed: Observed[] = honest.filter(inEnd).map((m) => ({ name: m.name, replica: replicaOf(m) }));
    for (const { name, replica } of observed) {
      const unreadable = new Set(cannotRead(replica, auditor));
      const wrong = replica.heldEpochs().filter((e) => unreadable.has(topicHex(e.topic)));
      if (wrong.length > 0) fail(`${name} holds a key for ${wrong.length} epoch(s) that does not open their commits (a wrong key)`);
      else if (unreadable.size > 0) fail(`${name}, a member, holds no key for ${unreadable.size} epoch(s) whose commits others hold`);
    }
    if (!converged) fail(`the team did not settle within ${settleLimitMs / 1000} s after the heal: ${honest.map((m) => `${m.name} ${replicaOf(m).graph.size} commits${inEnd(m) ? '' : ' (revoked)'}`).join(', ')}`);
    checkAgreement(observed, fail, (text) => notes.push(text));
    const keysOf = (name: string): EpochKeys[] => {
      const m = byName(name);
      const held = [...(m.peer.node?.replica.heldEpochs() ?? []), ...(m.honest ? [] : dishonest.heldEpochs())];
      const current = auditor.currentEpoch();
      if (options.bug === 'revoked-keeps-key' && !inEnd(m) && current) held.push(current);
      return held;
    };
    for (const leak of findLeaks({ auditor, team: members.map((m) => ({ name: m.name, keys: m.peer.keys, honest: m.honest })), heldBy: keysOf })) fail(leak);

    // Lines typed after a revocation of their typist was stored: one record per (admin, member) pair, so its time is that revocation's.
    const storedAt = new Map<string, number | undefined>();
    for (const r of revocations) {
      const key = `${r.admin}/${r.target}`;
      storedAt.set(key, storedAt.has(key) ? undefined : r.storedAt);
    }
    const nameOf = new Map(members.map((m) => [toHex(m.peer.keys.publicKey), m.name]));
    const revokedAt = new Map<string, number>();
    for (const r of effectiveRevocations(auditor, opened)) {
      const t = storedAt.get(`${nameOf.get(r.author)}/${nameOf.get(r.member)}`);
      const member = nameOf.get(r.member)!;
      if (t !== undefined) revokedAt.set(member, Math.min(revokedAt.get(member) ?? Infinity, t));
    }
    const honestInEnd = new Set(honest.filter(inEnd).map((m) => m.name));
    const rules = {
      required: (l: TypedLine) => l.acked && !l.deleted && honestInEnd.has(l.author),
      forbidden: (l: TypedLine) => l.typedAt > (revokedAt.get(l.author) ?? Infinity),
    };
    for (const o of observed) checkLines(o, paths, lines, rules, fail);
    for (const m of honest) {
      for (const id of m.peer.lostOnRestart) fail(`${m.name} acknowledged commit ${id.slice(0, 12)} as stored, and its log did not have it after a crash`);
      for (const id of m.peer.acked) if (!replicaOf(m).has(id)) fail(`${m.name} acknowledged commit ${id.slice(0, 12)} as stored, and lost it`);
      for (const line of m.peer.logLines) if (/internal error|could not merge/.test(line)) fail(`${m.name} logged: ${line}`);
    }
    for (const b of brokers) for (const line of b.logLines) if (/internal error/.test(line)) fail(`${b.name} logged: ${line}`);
    options.inspect?.(new Map(members.filter((m) => m.peer.node).map((m) => [m.name, replicaOf(m)])), auditor);
  } catch (err) {
    fail(`the run threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }

  const ownerReplica = owner.peer.node?.replica;
  const stats: DishonestStats = {
    members: members.length,
    brokers: brokers.length,
    play,
    events: sim.events,
    virtualMs: sim.clock.now() - activeStart,
    linesTyped: lines.size,
    crashes,
    partitions: partitionCount,
    revocations: revocations.filter((r) => r.storedAt !== undefined).length,
    regrants,
    revokedInEnd: ownerReplica ? members.filter((m) => m !== owner && !ownerReplica.members().has(toHex(m.peer.keys.publicKey))).map((m) => m.name) : [],
    commits: ownerReplica?.graph.size ?? 0,
    forks: ownerReplica?.forks().size ?? 0,
    attacks: { ...dishonest.counts },
    craftedCommits: dishonest.published,
    converged,
  };
  const fingerprint = sha256Hex(
    new TextEncoder().encode(
      JSON.stringify({
        stats,
        failures,
        views: members.map((m) => (m.peer.node ? viewOf(m.peer.node.replica) : '')),
        logs: members.map((m) => m.peer.logLines).concat(brokers.map((b) => b.logLines)),
      }),
    ),
  );
  return { seed: options.seed, failures, notes, stats, fingerprint };
}

/**
 * Settled: every honest member runs and holds keys, and every member (in the owner's view)
 * holds every commit an honest member holds (a member a rotation left out is handed the
 * keys it lacks by an admin, and then merges what waited for them).
 */
function settled(owner: Member, honest: readonly Member[]): boolean {
  if (!honest.every((m) => m.peer.running && m.peer.runtime!.status().joined)) return false;
  const members = owner.peer.node!.replica.members();
  const compared = honest.filter((m) => members.has(toHex(m.peer.keys.publicKey))).map((m) => m.peer.node!.replica);
  return honest.every((m) => m.peer.node!.replica.topological().every((id) => compared.every((r) => r.has(id))));
}

/**
 * A replica holding every commit the honest members hold, with every key the owner, admins
 * and writers hold: the owner's, when it holds them all (the owner is sealed every epoch).
 */
function auditorOf(owner: Member, honest: readonly Member[]): ShareReplica {
  const ownerReplica = owner.peer.node!.replica;
  if (honest.every((m) => m.peer.node!.replica.topological().every((id) => ownerReplica.has(id)))) return ownerReplica;
  const keys = new Map<string, EpochKeys>();
  for (const m of [owner, ...honest.filter((x) => x.role !== 'reader')]) for (const k of m.peer.node!.replica.heldEpochs()) if (!keys.has(topicHex(k.topic))) keys.set(topicHex(k.topic), k);
  const auditor = new ShareReplica({ shareId: ownerReplica.shareId, me: ownerReplica.me, keys: [...keys.values()] });
  for (const m of honest) {
    const replica = m.peer.node!.replica;
    for (const id of replica.topological()) if (!auditor.has(id)) auditor.receive(replica.commitBytes(id)!);
  }
  return auditor;
}

/** Topics (hex) of commits the auditor holds that `replica` refused for want of a key that opens them. */
function cannotRead(replica: ShareReplica, auditor: ShareReplica): string[] {
  const out: string[] = [];
  for (const id of auditor.topological()) {
    if (replica.has(id) || replica.rejection(id) !== 'undecryptable') continue;
    out.push(topicHex(decodeCommitEnvelope(auditor.commitBytes(id)!).topic));
  }
  return out;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}
