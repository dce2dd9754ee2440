/**
 * The checks of the dishonest mix (dishonest-scenario.ts), on replicas after the team
 * settled:
 * - agreement: honest replicas holding the same commits agree on the files and their
 *   text, the members and roles, the topics (epochs), the current epoch of those who may
 *   write, each commit's verdict, and who forked (each fork proof being two concurrent
 *   commits of its author); replicas that still hold different commits did not converge;
 * - no leak (the access mix's rule, protocol/sim/access-mix.ts, on whole nodes): a member
 *   revoked in the end holds no key, from any box sealed to it anywhere in the log or any
 *   replica of its own, that opens a commit with text an honest member (a member in the
 *   end) wrote after merging a revocation of it that is effective in the end and was
 *   effective in the writer's view then. What the writer held is the commit's causal past
 *   (a commit depends on every head its writer held), so its view is replayed from it;
 * - lines: every line an honest member typed and stored is in its file once (unless a
 *   member deleted it); no line is anywhere twice or was never typed; and a line typed
 *   after an effective revocation of its typist was stored is nowhere.
 */
import { bytesEqual, toHex, type SigningKeyPair } from '../src/crypto/index.js';
import { decodeCommitEnvelope, openCommitBody, type CommitEnvelope } from '../src/log/commit.js';
import type { CommitId } from '../src/log/ids.js';
import { openKeyBox, topicHex, type EpochKeys } from '../src/share/keys.js';
import { decodePayload, type Action } from '../src/share/payload.js';
import { ShareReplica } from '../src/share/replica.js';
import { canWrite } from '../src/share/roles.js';
import { countTokens, textsOf } from './token-lines.js';

/** A line a member typed: a unique token (`@carol.17@`). */
export interface TypedLine {
  readonly token: string;
  readonly author: string;
  readonly path: string;
  readonly typedAt: number;
  /** Its writer stored it (commit() resolved). */
  acked: boolean;
  /** A member deleted it (the line may be gone). */
  deleted: boolean;
}

export const TOKEN = /@[a-z]+\.\d+@\n/g;

export interface Observed {
  readonly name: string;
  readonly replica: ShareReplica;
}

/** Heads, then everything the agreement check compares, as one string (equal: agreed). */
export function viewOf(replica: ShareReplica): string {
  return [headsOf(replica), ...Object.values(aspects(replica)), currentEpochOf(replica) ?? ''].join('\u0001');
}

export function headsOf(replica: ShareReplica): string {
  return [...replica.heads()].sort().join(',');
}

function aspects(replica: ShareReplica): Record<string, string> {
  const files = replica
    .files()
    .map((f) => `${f.path}\u0000${f.kind}\u0000${f.kind === 'text' ? replica.text(f.file) : ''}`)
    .sort();
  const verdicts = [...replica.topological()].sort().map((id) => `${id.slice(0, 8)}:${replica.rejection(id) ?? 'ok'}`);
  return {
    files: files.join('\u0002'),
    members: [...replica.members()].map(([k, v]) => `${k.slice(0, 12)}:${v.role}`).sort().join(','),
    topics: replica.topicsNewestFirst().map(toHex).sort().join(','),
    verdicts: verdicts.join(','),
    forks: [...replica.forks().keys()].sort().join(','),
  };
}

/** The epoch new commits use, for a member who may write (readers have none of their own). */
function currentEpochOf(replica: ShareReplica): string | undefined {
  if (!canWrite(replica.myRole())) return undefined;
  const current = replica.currentEpoch();
  return current ? topicHex(current.topic) : '(none)';
}

/**
 * Compares replicas holding the same commits; replicas holding different ones did not
 * converge. Verdicts that differ only in the reason a replica gives go to `note`: a
 * replica keeps the reason of a commit that lost its effect and regained it in a rebuild
 * (ShareReplica.rejection, open), while its text, members and epochs agree.
 */
export function checkAgreement(observed: readonly Observed[], fail: (text: string) => void, note: (text: string) => void): void {
  const groups = new Map<string, Observed[]>();
  for (const o of observed) {
    const key = headsOf(o.replica);
    groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  if (groups.size > 1) {
    fail(`honest members hold different commits after settling: ${[...groups.values()].map((g) => `${g.map((o) => o.name).join('+')} (${g[0]!.replica.graph.size} commits)`).join(' / ')}`);
  }
  for (const group of groups.values()) {
    const first = group[0]!;
    const reference = aspects(first.replica);
    for (const other of group.slice(1)) {
      const seen = aspects(other.replica);
      for (const [aspect, value] of Object.entries(reference)) {
        if (seen[aspect] !== value) (aspect === 'verdicts' ? note : fail)(`${other.name} and ${first.name} hold the same ${first.replica.graph.size} commits and disagree on ${aspect}: ${firstDifference(seen[aspect]!, value)}`);
      }
    }
    const writers = group.filter((o) => currentEpochOf(o.replica) !== undefined);
    for (const other of writers.slice(1)) {
      if (currentEpochOf(other.replica) !== currentEpochOf(writers[0]!.replica)) fail(`${other.name} and ${writers[0]!.name} hold the same commits and write on different epochs: ${currentEpochOf(other.replica)!.slice(0, 12)} vs ${currentEpochOf(writers[0]!.replica)!.slice(0, 12)}`);
    }
    for (const [author, [a, b]] of first.replica.forks()) {
      const graph = first.replica.graph;
      if (!graph.has(a) || !graph.has(b) || graph.isAncestor(a, b) || graph.isAncestor(b, a)) fail(`${first.name}: the fork proof of ${author.slice(0, 12)} is not two concurrent commits`);
    }
  }
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const show = (s: string) => JSON.stringify(s.slice(Math.max(0, i - 20), i + 40));
  return `${show(a)} vs ${show(b)}`;
}

// ---------------------------------------------------------------- leaks

export interface TeamMember {
  readonly name: string;
  readonly keys: SigningKeyPair;
  readonly honest: boolean;
}

export interface LeakInput {
  /** A replica holding every commit the team holds and every epoch key (the owner's view, fed everything). */
  readonly auditor: ShareReplica;
  readonly team: readonly TeamMember[];
  /** The keys a member's own replicas hold (its node, and a dishonest member's twins). */
  readonly heldBy: (name: string) => readonly EpochKeys[];
}

export interface Opened {
  readonly env: CommitEnvelope;
  readonly author: string;
  readonly actions: readonly Action[];
}

/** Every commit of the auditor's log, opened with the keys it holds. */
export function openLog(auditor: ShareReplica): Map<CommitId, Opened> {
  const keyOf = new Map(auditor.heldEpochs().map((e) => [topicHex(e.topic), e]));
  const opened = new Map<CommitId, Opened>();
  for (const id of auditor.topological()) {
    const env = decodeCommitEnvelope(auditor.commitBytes(id)!);
    const epoch = keyOf.get(topicHex(env.topic));
    if (epoch === undefined) continue;
    const body = openCommitBody(env, epoch.key);
    opened.set(id, { env, author: toHex(body.author), actions: decodePayload(body.payload) });
  }
  return opened;
}

/** The revocations effective in the auditor's view: who revoked whom (hex keys). */
export function effectiveRevocations(auditor: ShareReplica, opened: ReadonlyMap<CommitId, Opened>): Array<{ id: CommitId; author: string; member: string }> {
  const out: Array<{ id: CommitId; author: string; member: string }> = [];
  for (const o of opened.values()) {
    if (auditor.rejection(o.env.id) !== undefined) continue;
    for (const a of o.actions) if (a.type === 'revoke') out.push({ id: o.env.id, author: o.author, member: toHex(a.member) });
  }
  return out;
}

export function findLeaks(input: LeakInput): string[] {
  const { auditor, team } = input;
  const opened = openLog(auditor);
  const keyOf = new Map(auditor.heldEpochs().map((e) => [topicHex(e.topic), e]));
  const finalMembers = auditor.members();
  const honestInEnd = new Set(team.filter((m) => m.honest && finalMembers.has(toHex(m.keys.publicKey))).map((m) => toHex(m.keys.publicKey)));
  const nameOf = new Map(team.map((m) => [toHex(m.keys.publicKey), m.name]));
  const writes = [...opened.values()].filter((o) => honestInEnd.has(o.author) && o.actions.some((a) => a.type === 'text'));
  const membersAt = memberViews(auditor);
  const leaks: string[] = [];
  for (const x of team) {
    const hex = toHex(x.keys.publicKey);
    if (finalMembers.has(hex) || hex === ownerOf(opened)) continue;
    const revocations = effectiveRevocations(auditor, opened).filter((r) => r.member === hex).map((r) => r.id);
    if (revocations.length === 0) continue;
    const keys = new Map<string, EpochKeys>();
    for (const k of [...input.heldBy(x.name), ...boxesSealedTo(x, auditor.shareId, opened.values())]) keys.set(topicHex(k.topic), k);
    for (const w of writes) {
      // The auditor's key for the topic opened the commit: the same key opens it for x.
      const key = keys.get(topicHex(w.env.topic));
      if (key === undefined || !bytesEqual(key.key, keyOf.get(topicHex(w.env.topic))!.key)) continue;
      if (!revocations.some((r) => auditor.graph.isAncestor(r, w.env.id))) continue;
      if (membersAt(w.env).has(hex)) continue; // the revocation was void in the writer's view: it could not act on it
      leaks.push(`${x.name}, revoked, opens ${nameOf.get(w.author)}'s commit ${w.env.id.slice(0, 12)}, written after merging the revocation (effective then and in the end)`);
    }
  }
  return leaks;
}

/** The members as a replica holding exactly the causal past of a commit saw them (a replay, memoised). */
function memberViews(auditor: ShareReplica): (env: CommitEnvelope) => ReadonlyMap<string, unknown> {
  const seen = new Map<CommitId, ReadonlyMap<string, unknown>>();
  return (env) => {
    let members = seen.get(env.id);
    if (members === undefined) {
      const past = auditor.graph.ancestorsOf(env.deps);
      const view = new ShareReplica({ shareId: auditor.shareId, me: auditor.me, keys: auditor.heldEpochs() });
      for (const id of auditor.topological()) if (past.has(id)) view.receive(auditor.commitBytes(id)!);
      members = new Map(view.members());
      seen.set(env.id, members);
    }
    return members;
  };
}

function ownerOf(opened: ReadonlyMap<CommitId, Opened>): string | undefined {
  for (const o of opened.values()) for (const a of o.actions) if (a.type === 'genesis') return toHex(a.owner);
  return undefined;
}

/** Every epoch in any box of the log sealed to `member`, whatever the verdict on its commit: the member can open them all. */
function boxesSealedTo(member: TeamMember, shareId: Uint8Array, opened: Iterable<Opened>): EpochKeys[] {
  const hex = toHex(member.keys.publicKey);
  const boxes: Uint8Array[] = [];
  for (const o of opened) {
    for (const a of o.actions) {
      if (a.type === 'epoch') for (const b of a.boxes) if (toHex(b.member) === hex) boxes.push(b.keyBox);
      if (a.type === 'genesis' && toHex(a.owner) === hex) boxes.push(a.keyBox);
      if ('member' in a && 'keyBox' in a && toHex(a.member) === hex) boxes.push(a.keyBox);
    }
  }
  return boxes.flatMap((box) => {
    try {
      return openKeyBox(member.keys.secretKey, shareId, box);
    } catch {
      return [];
    }
  });
}

// ---------------------------------------------------------------- lines

export interface LineRules {
  /** Must be in its file (once). */
  readonly required: (line: TypedLine) => boolean;
  /** Must be nowhere (typed after an effective revocation of its typist was stored). */
  readonly forbidden: (line: TypedLine) => boolean;
}

export function checkLines(o: Observed, paths: readonly string[], lines: ReadonlyMap<string, TypedLine>, rules: LineRules, fail: (text: string) => void): void {
  const { replica, name } = o;
  const textOf = textsOf(replica, paths, (path) => fail(`${name} has no ${path}`));
  for (const [path, text] of textOf) {
    for (const [token, n] of countTokens(text, TOKEN)) {
      const line = lines.get(token);
      if (n > 1) fail(`${name}: ${token.trim()} is in ${path} ${n} times`);
      if (line === undefined) fail(`${name}: ${token.trim()} in ${path} was never typed`);
      else if (line.path !== path) fail(`${name}: ${token.trim()} typed in ${line.path} is in ${path}`);
      else if (rules.forbidden(line)) fail(`${name}: ${token.trim()}, typed by ${line.author} after a revocation of ${line.author} (effective in the end) was stored, is in ${path}`);
    }
  }
  for (const line of lines.values()) {
    if (rules.required(line) && !(textOf.get(line.path) ?? '').includes(line.token)) fail(`${name}: ${line.token.trim()}, typed and stored by ${line.author}, is missing from ${line.path}`);
  }
}
