/**
 * The folder mirror in the simulation (issue 16, step 5): from one seed, a team of 2 to
 * 5 members and 1 or 2 brokers; each member is a SimPeer with the real FolderMirror over
 * its own folder (sim-member.ts). The owner shares a few files; then, for 15 simulated
 * seconds, people act on their folders as people do (sim-user.ts): type lines in several
 * places of a file, delete a line, paste hundreds of lines, copy many files in at once,
 * create the same path as a teammate at the same time, delete or rename a file a
 * teammate is editing, go offline and keep editing; members crash at any step of the
 * mirror (a crash timer a few ms after a person's save lands in the mirror's pass: between
 * a record and its file, a file and its commit, a commit and its fsync) and restart with
 * a new mirror over the same folder and records; links partition and brokers crash.
 * Then every fault heals and the run goes on until the team settles (or a limit passes).
 *
 * What must hold at the end (checkFolders):
 * - every member's folder holds exactly the share's text files, byte for byte (the
 *   replica's texts by path), and all the folders and replicas are equal;
 * - every line a person typed and did not remove is in the folder exactly once — in the
 *   file it was typed in (or one a person renamed it to), or in that file's conflict copy
 *   (`name (conflict <id>).ext`, docs/FOLDERS.md) — and no line is anywhere twice;
 * - nothing is in a folder at a path a share may not hold (nothing outside the folder:
 *   a memory folder has no outside, and the mirror writes only through it);
 * - every commit a node acknowledged as stored is still in its replica.
 *
 * Left out: binary files (a memory folder has no local path to stream them), readers and
 * revocation (scenario.ts covers them at the replica level), Git checkouts, ignore rules.
 */
import { sha256Hex } from '../src/crypto/index.js';
import { pathProblem } from '../src/share/paths.js';
import type { MemoryTransport } from './memory-network.js';
import { SimBroker } from './sim-broker.js';
import { SimMember } from './sim-member.js';
import { SimPeer } from './sim-peer.js';
import { SimUsers, TokenLedger, folderTexts, tokensIn } from './sim-user.js';
import { inviteAndStart } from './sim-team.js';
import { Simulation } from './simulation.js';

export interface FolderScenarioOptions {
  readonly seed: number;
  /** Simulated time of activity before the heal (default 15 s). */
  readonly activeMs?: number;
  /** How long to wait for the team to settle after the heal (default 120 s). */
  readonly settleLimitMs?: number;
  /** Crashes, partitions and offline spells (default true). */
  readonly faults?: boolean;
  readonly members?: number;
  readonly brokers?: number;
  /** Keep a trace of the run (people's actions, crashes, the mirrors' logs) in the result. */
  readonly trace?: boolean;
}

export interface FolderScenarioStats {
  readonly members: number;
  readonly brokers: number;
  readonly events: number;
  readonly virtualMs: number;
  readonly actions: number;
  readonly linesTyped: number;
  readonly linesRemoved: number;
  readonly filesAtEnd: number;
  readonly conflictFiles: number;
  readonly crashes: number;
  readonly partitions: number;
  readonly settled: boolean;
}

export interface FolderScenarioResult {
  readonly seed: number;
  readonly failures: string[];
  readonly stats: FolderScenarioStats;
  /** A hash of everything observable: the same seed must give the same fingerprint. */
  readonly fingerprint: string;
  /** With `trace`: what happened, a line per thing, with the virtual time. */
  readonly trace?: string[];
}

type SimNode = { kind: 'member'; member: SimMember } | { kind: 'broker'; broker: SimBroker };

export async function runFolderScenario(options: FolderScenarioOptions): Promise<FolderScenarioResult> {
  const sim = new Simulation({ seed: options.seed });
  const start = sim.clock.now();
  const faults = options.faults ?? true;
  const activeMs = options.activeMs ?? 15_000;
  const settleLimitMs = options.settleLimitMs ?? 120_000;
  const memberCount = options.members ?? 2 + sim.below(4);
  const brokerCount = options.brokers ?? 1 + sim.below(2);
  const failures: string[] = [];
  const fail = (text: string): void => {
    if (failures.length < 20) failures.push(text);
  };

  // ---- the team
  const brokers = Array.from({ length: brokerCount }, (_, i) => new SimBroker(sim, `broker${i}`));
  brokers.forEach((b, i) => (b.peerBrokers = brokers.slice(0, i).map((other) => other.address)));
  const traced: string[] = [];
  const trace = options.trace ? (line: string): void => void traced.push(`${Math.round(sim.clock.now() - start)} ${line}`) : undefined;
  const members = Array.from({ length: memberCount }, (_, i) => new SimMember(new SimPeer(sim, { name: `m${i}` }), trace));
  for (const m of members) {
    const mine = brokers.filter(() => sim.random() < 0.7);
    if (mine.length === 0) mine.push(sim.pick(brokers));
    m.peer.addresses = mine.map((b) => ({ role: 'broker' as const, addr: b.address }));
    if (sim.random() < 0.2) m.peer.addresses.push({ role: 'peer', addr: sim.pick(members.filter((o) => o !== m)).peer.address });
  }
  for (const b of brokers) await sim.complete(b.start());

  const ledger = new TokenLedger();
  const users = new SimUsers(sim, members, ledger, trace);
  const owner = members[0]!;
  await sim.complete(owner.peer.createShare('sim'));
  const ownerNode = owner.peer.node!;
  for (let i = 0, n = 1 + sim.below(3); i < n; i++) {
    const path = i === 0 ? 'notes.txt' : `src/f${i}.txt`;
    const text = Array.from({ length: 2 + sim.below(6) }, () => `${ledger.mint(owner, 0, path, sim.clock.now())}\n`).join('');
    ownerNode.replica.createFile(path, 'text', text);
  }
  for (const m of members.slice(1)) ownerNode.replica.grant(m.peer.keys.publicKey, 'writer', m.name);
  await inviteAndStart(sim, owner.peer, members.map((m) => m.peer), (i) => members[i]!.startMirror());

  // ---- activity
  let actions = 0;
  let crashes = 0;
  let partitionCount = 0;
  const restarts: Array<{ at: number; node: SimNode }> = [];
  const heals: Array<{ at: number; a: () => MemoryTransport; b: () => MemoryTransport }> = [];
  const nodes = (): SimNode[] => [...members.map((member) => ({ kind: 'member' as const, member })), ...brokers.map((broker) => ({ kind: 'broker' as const, broker }))];
  const transportOf = (n: SimNode): MemoryTransport => (n.kind === 'member' ? n.member.peer.transport : n.broker.transport);
  const nameOf = (n: SimNode): string => (n.kind === 'member' ? n.member.name : n.broker.name);
  const isRunning = (n: SimNode): boolean => (n.kind === 'member' ? n.member.peer.running : n.broker.running);
  const restart = async (n: SimNode): Promise<void> => {
    if (n.kind === 'member') await n.member.restart();
    else await n.broker.restart();
  };
  const crashLater = (n: SimNode, ms: number): void => {
    sim.clock.after(ms, () => {
      if (!isRunning(n)) return;
      if (n.kind === 'member') n.member.crash();
      else n.broker.crash();
      if (n.kind === 'broker') trace?.(`${n.broker.name}: crashed`);
      crashes++;
      restarts.push({ at: sim.clock.now() + sim.between(300, 4000), node: n });
    });
  };
  const partitionPair = (a: SimNode, b: SimNode, forMs: number): void => {
    sim.network.partition(transportOf(a), transportOf(b));
    trace?.(`partition ${nameOf(a)} | ${nameOf(b)} for ${Math.round(forMs)} ms`);
    partitionCount++;
    heals.push({ at: sim.clock.now() + forMs, a: () => transportOf(a), b: () => transportOf(b) });
  };
  // People act once their member has joined (has the share's keys); a crashed member's
  // person keeps working in the folder.
  const joined = new Set<SimMember>();
  const people = (): SimMember[] => {
    for (const m of members) if (m.peer.runtime?.status().joined) joined.add(m);
    return members.filter((m) => joined.has(m));
  };
  const other = (m: SimMember): SimMember | undefined => {
    const rest = people().filter((o) => o !== m);
    return rest.length === 0 ? undefined : sim.pick(rest);
  };

  const end = sim.clock.now() + activeMs;
  while (sim.clock.now() < end) {
    await sim.runFor(sim.between(30, 400));
    const now = sim.clock.now();
    for (const r of restarts.filter((r) => r.at <= now)) {
      restarts.splice(restarts.indexOf(r), 1);
      trace?.(`${nameOf(r.node)}: restarts`);
      await sim.complete(restart(r.node));
    }
    for (const h of heals.filter((h) => h.at <= now)) {
      heals.splice(heals.indexOf(h), 1);
      sim.network.heal(h.a(), h.b());
    }
    const here = people();
    if (here.length === 0) continue;
    const m = sim.pick(here);
    const roll = sim.random();
    actions++;
    if (roll < 0.4) users.type(m);
    else if (roll < 0.5) users.deleteLine(m);
    else if (roll < 0.56) users.paste(m);
    else if (roll < 0.62) users.copyIn(m);
    else if (roll < 0.68) {
      const o = other(m);
      if (o) users.createSame(m, o);
    } else if (roll < 0.74) {
      const o = other(m);
      if (o) users.deleteWhileEdited(m, o);
    } else if (roll < 0.8) {
      const o = other(m);
      if (o) users.renameWhileEdited(m, o);
    } else if (!faults) {
      actions--;
      continue;
    } else if (roll < 0.85) {
      // A member goes offline (a train, a plane) and keeps editing.
      const forMs = sim.between(2000, 10_000);
      for (const n of nodes()) if (!(n.kind === 'member' && n.member === m)) partitionPair({ kind: 'member', member: m }, n, forMs);
    } else if (roll < 0.9) {
      const all = nodes();
      const a = sim.pick(all);
      partitionPair(a, sim.pick(all.filter((n) => n !== a)), sim.between(500, 6000));
    } else if (roll < 0.92) {
      crashLater({ kind: 'broker', broker: sim.pick(brokers) }, sim.between(0, 50));
    } else actions--;
    // The member dies soon after a person's save: mid-pass, at any step of the mirror.
    if (faults && roll < 0.8 && sim.random() < 0.12) crashLater({ kind: 'member', member: m }, sim.between(0, 120));
  }

  // ---- heal everything and let the team settle (crashes already set off land first)
  await sim.runFor(150);
  for (const h of heals.splice(0)) sim.network.heal(h.a(), h.b());
  for (const r of restarts.splice(0)) await sim.complete(restart(r.node));
  const settled = (): boolean => {
    if (!members.every((m) => m.running && m.peer.runtime!.status().joined)) return false;
    const views = members.map(viewOf);
    return views[0] !== undefined && views.every((v) => v === views[0]);
  };
  const didSettle = await sim.runUntil(settled, settleLimitMs, 500);

  // ---- checks
  for (const m of members) trace?.(`${m.name} at the end: ${m.running ? `${m.peer.node!.replica.graph.size} commits; folder: ${[...folderTexts(m.folder).keys()].join(', ')}` : 'down'}`);
  if (!didSettle) {
    fail(`the team did not settle within ${settleLimitMs / 1000} s after the heal: ${members.map((m) => `${m.name}: ${m.running ? `${m.peer.node!.replica.graph.size} commits, ${folderTexts(m.folder).size} files on disk, ${m.peer.node!.replica.files().length} in the share` : 'down'}`).join('; ')}`);
    for (const m of members) if (m.running) checkFolderMatchesShare(m, fail);
  }
  const texts = folderTexts(owner.folder);
  for (const [path] of texts) if (pathProblem(path)) fail(`${owner.name}'s folder holds ${path}, a path a share may not hold`);
  checkLines(texts, ledger, fail);
  for (const m of members) {
    for (const id of m.peer.lostOnRestart) fail(`${m.name} acknowledged commit ${id.slice(0, 12)} as stored, and its log did not have it after a crash`);
    if (m.peer.node) for (const id of m.peer.acked) if (!m.peer.node.replica.has(id)) fail(`${m.name} acknowledged commit ${id.slice(0, 12)} as stored, and lost it`);
  }

  const typed = [...ledger.tokens.values()];
  const stats: FolderScenarioStats = {
    members: memberCount,
    brokers: brokerCount,
    events: sim.events,
    virtualMs: Math.round(sim.clock.now() - (end - activeMs)),
    actions,
    linesTyped: typed.length,
    linesRemoved: typed.filter((t) => t.mayVanish).length,
    filesAtEnd: texts.size,
    conflictFiles: [...texts.keys()].filter((p) => p.includes(' (conflict ')).length,
    crashes,
    partitions: partitionCount,
    settled: didSettle,
  };
  const fingerprint = sha256Hex(
    new TextEncoder().encode(
      JSON.stringify({
        stats,
        folders: members.map((m) => [...folderTexts(m.folder)]),
        views: members.map(viewOf),
        logs: members.map((m) => [m.peer.logLines, m.mirrorLog]).concat(brokers.map((b) => [b.logLines])),
      }),
    ),
  );
  return { seed: options.seed, failures, stats, fingerprint, ...(options.trace ? { trace: traced } : {}) };
}

/** A member's share and folder as one string: equal strings, and folder == share, is settled. */
function viewOf(m: SimMember): string | undefined {
  const replica = m.peer.node?.replica;
  if (replica === undefined || !m.running) return undefined;
  const share = replica
    .files()
    .filter((f) => f.kind === 'text')
    .map((f) => `${f.path}\u0000${replica.text(f.file)}`)
    .sort();
  const disk = [...folderTexts(m.folder)].map(([p, t]) => `${p}\u0000${t}`).sort();
  if (share.join('\u0001') !== disk.join('\u0001')) return undefined;
  return `${[...replica.heads()].sort().join(',')}\u0001${share.join('\u0001')}`;
}

/** Where a folder and its share differ (for a run that did not settle). */
function checkFolderMatchesShare(m: SimMember, fail: (text: string) => void): void {
  const replica = m.peer.node!.replica;
  const disk = folderTexts(m.folder);
  const share = new Map(replica.files().filter((f) => f.kind === 'text').map((f) => [f.path, replica.text(f.file)]));
  for (const [path, text] of share) {
    const onDisk = disk.get(path);
    if (onDisk === undefined) fail(`${m.name}: ${path} is in the share, not in the folder`);
    else if (onDisk !== text) fail(`${m.name}: ${path} differs between the folder (${onDisk.length} chars) and the share (${text.length})`);
  }
  for (const path of disk.keys()) if (!share.has(path)) fail(`${m.name}: ${path} is in the folder, not in the share`);
}

/** Every line typed and not removed is in the folder once, in its file or its conflict copy; none twice. */
function checkLines(texts: ReadonlyMap<string, string>, ledger: TokenLedger, fail: (text: string) => void): void {
  const where = new Map<string, string[]>();
  for (const [path, text] of texts) {
    for (const token of tokensIn(text)) {
      const list = where.get(token) ?? [];
      list.push(path);
      where.set(token, list);
    }
  }
  for (const [token, paths] of where) {
    const typed = ledger.tokens.get(token);
    if (typed === undefined) fail(`${token} is in ${paths[0]} but was never typed`);
    else if (paths.length > 1) fail(`${token}, typed by ${typed.author} in ${typed.name}, is in the folder ${paths.length} times (${[...new Set(paths)].join(', ')})`);
    else if (ledger.group(paths[0]!) !== ledger.group(typed.name)) fail(`${token}, typed by ${typed.author} in ${typed.name}, is in ${paths[0]}`);
  }
  for (const typed of ledger.tokens.values()) {
    if (!typed.mayVanish && !where.has(typed.token)) fail(`${typed.token}, typed by ${typed.author} in ${typed.name} at ${Math.round(typed.at)} ms, is lost`);
  }
}

/** Runs seeds [from, from + count) and returns the failing ones. */
export async function runFolderSeeds(from: number, count: number, options: Omit<FolderScenarioOptions, 'seed'> = {}, onResult?: (result: FolderScenarioResult) => void): Promise<FolderScenarioResult[]> {
  const failed: FolderScenarioResult[] = [];
  for (let seed = from; seed < from + count; seed++) {
    const result = await runFolderScenario({ ...options, seed });
    onResult?.(result);
    if (result.failures.length > 0) failed.push(result);
  }
  return failed;
}
