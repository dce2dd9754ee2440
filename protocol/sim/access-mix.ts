/**
 * The access mix (issue 17): from one seed, a team (the owner, two admins, two writers,
 * a reader and a dishonest writer) whose replicas see each other's commits late and in
 * pieces, so grants, revocations, rotations and edits are concurrent. Honest members
 * type and revoke; the dishonest writer equivocates (signs two commits with the same
 * operation ids from a twin replica), leaves out its own previous commit, or writes
 * normally. Then every member's log is replayed, in several orders, into fresh replicas.
 *
 * What must hold:
 * - agreement: replicas holding the same commits agree on heads, text, members and roles,
 *   epochs (topics) and forks, whatever the order;
 * - no leak: a member revoked in the end never holds a key that opens a commit an honest
 *   member wrote (with text) after merging a revocation of it that was effective both in
 *   the end and in the writer's view when it wrote;
 * - every member reads everything: after a settle phase (everyone merges everything, and
 *   honest writers hand over the keys members lack, as an admin's runtime does), a fresh
 *   replica of every current member, given its grant's boxes and later the boxes a
 *   complete replica hands out (KEYS), opens every commit.
 *
 * Replica-level and synchronous (no network, no clock): thousands of seeds a minute.
 */
import { signingKeyPairFromSeed, toHex, type RandomSource, type SigningKeyPair } from '../src/crypto/index.js';
import { openCommitBody, type CommitEnvelope } from '../src/log/commit.js';
import type { CommitId } from '../src/log/ids.js';
import { decodePayload } from '../src/share/payload.js';
import type { FileId } from '../src/share/manifest.js';
import { NotAllowedError } from '../src/share/replica-types.js';
import { ShareReplica } from '../src/share/replica.js';
import type { GrantableRole } from '../src/share/roles.js';
import { prng } from './prng.js';

export interface AccessMixResult {
  readonly seed: number;
  readonly disagreements: string[];
  readonly leaks: string[];
  /**
   * Current members who cannot read some commits after the settle phase: a rotation left
   * them out (its author saw a revocation of them that later lost its effect, or it was
   * concurrent with their grant) and no handover reached them. A failure.
   */
  readonly unreadable: string[];
  readonly commits: number;
  readonly revocations: number;
  readonly forks: number;
}

interface Member {
  readonly name: string;
  readonly keys: SigningKeyPair;
  readonly role: 'owner' | GrantableRole;
  readonly replica: ShareReplica;
  readonly dishonest: boolean;
}

/** A commit an honest member made, with what its replica held then (for the leak check). */
interface Written {
  readonly env: CommitEnvelope;
  readonly author: string;
  readonly held: ReadonlySet<CommitId>;
  /** Members the writer's replica held as revoked when it wrote (a revocation it merged that was effective in its view). */
  readonly revokedInView: ReadonlySet<string>;
}

const TEAM: ReadonlyArray<readonly [string, 'owner' | GrantableRole]> = [
  ['owner', 'owner'],
  ['alice', 'admin'],
  ['bob', 'admin'],
  ['carol', 'writer'],
  ['dave', 'writer'],
  ['rita', 'reader'],
  ['mallory', 'writer'],
];

export function runAccessMix(seed: number, steps = 24): AccessMixResult {
  const random = prng(seed);
  const bytes: RandomSource = (n) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
  const below = (n: number): number => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[below(items.length)]!;
  const keyOf = (name: string): SigningKeyPair => signingKeyPairFromSeed(Uint8Array.from({ length: 32 }, (_, i) => (seed * 31 + i * 7 + name.charCodeAt(i % name.length)) & 255));

  const ownerKeys = keyOf('owner');
  const { replica: owner, genesis } = ShareReplica.create('mix', ownerKeys, bytes);
  const published = new Map<CommitId, CommitEnvelope>([[genesis.id, genesis]]);
  const publish = (envs: readonly CommitEnvelope[]): void => {
    for (const e of envs) published.set(e.id, e);
  };
  const file = owner.createFile('doc.md', 'text', 'start\n');
  const members: Member[] = [{ name: 'owner', keys: ownerKeys, role: 'owner', replica: owner, dishonest: false }];
  for (const [name, role] of TEAM.slice(1)) {
    const keys = keyOf(name);
    owner.grant(keys.publicKey, role as GrantableRole, name);
    members.push({ name, keys, role, replica: undefined as unknown as ShareReplica, dishonest: name === 'mallory' });
  }
  publish(owner.flushInPieces());
  const grantBoxes = new Map(members.map((m) => [m.name, owner.keyBoxesFor(m.keys.publicKey)]));
  for (const m of members.slice(1)) {
    const replica = new ShareReplica({ shareId: owner.shareId, me: m.keys, random: bytes });
    replica.addKeys(owner.keyBoxesFor(m.keys.publicKey));
    for (const e of published.values()) replica.receive(e.bytes);
    (m as { replica: ShareReplica }).replica = replica;
  }
  const mallory = members.find((m) => m.dishonest)!;
  const twin = new ShareReplica({ shareId: owner.shareId, me: mallory.keys, random: bytes });
  twin.addKeys(owner.keyBoxesFor(mallory.keys.publicKey));
  for (const e of published.values()) twin.receive(e.bytes);

  const written: Written[] = [];
  let revocations = 0;
  let typed = 0;
  const deliverSome = (replica: ShareReplica): void => {
    for (const e of published.values()) if (!replica.has(e.id) && random() < 0.6) replica.receive(e.bytes);
  };
  const write = (m: Member, replica: ShareReplica, text: string): CommitEnvelope[] => {
    const held = new Set(replica.topological());
    const current = replica.members();
    const revokedInView = new Set(members.map((x) => toHex(x.keys.publicKey)).filter((x) => !current.has(x)));
    try {
      replica.edit(file as FileId, below(replica.text(file).length + 1), 0, text);
      const envs = replica.flushInPieces();
      if (!m.dishonest) for (const env of envs) written.push({ env, author: m.name, held, revokedInView });
      return envs;
    } catch (err) {
      if (err instanceof NotAllowedError) return []; // revoked, or a reader: an honest client stops here
      throw err;
    }
  };

  for (let step = 0; step < steps; step++) {
    const roll = random();
    const m = pick(members);
    if (roll < 0.35) deliverSome(m.replica);
    else if (roll < 0.7) {
      if (m.dishonest) {
        const how = random();
        if (how < 0.4) {
          // Equivocation: the twin signs different text with the same operation ids.
          publish(write(m, m.replica, `M${typed}\n`));
          publish(write(m, twin, `W${typed++}\n`));
        } else if (how < 0.7) {
          publish(write(m, twin, `T${typed++}\n`)); // the twin lags behind: its commit leaves out the latest
        } else publish(write(m, m.replica, `m${typed++}\n`));
        deliverSome(twin);
      } else publish(write(m, m.replica, `${m.name}${typed++}\n`));
    } else if (roll < 0.8) {
      const admins = members.filter((a) => (a.role === 'owner' || a.role === 'admin') && a.replica.myRole() !== undefined);
      const admin = admins.length > 0 ? pick(admins) : undefined;
      const target = pick(members.filter((t) => t.role !== 'owner' && t !== admin));
      if (admin && admin.replica.members().has(toHex(target.keys.publicKey))) {
        try {
          admin.replica.revoke(target.keys.publicKey);
          publish(admin.replica.flushInPieces());
          revocations++;
        } catch (err) {
          if (!(err instanceof NotAllowedError)) throw err;
        }
      }
    } else for (const other of members) deliverSome(other.replica);
  }

  // ---- settle: everyone merges everything; honest writers hand over the keys members
  // lack (as the runtime of an admin does on merging, and any writer's next commit does);
  // the owner grants again a member no handover may reach (someone tried to revoke it:
  // the panel shows such members to admins)
  const commitAs = (m: Member, stage: (r: ShareReplica) => boolean): void => {
    deliverAll(m.replica, published);
    const held = new Set(m.replica.topological());
    const current = m.replica.members();
    const revokedInView = new Set(members.map((x) => toHex(x.keys.publicKey)).filter((x) => !current.has(x)));
    if (!stage(m.replica)) return;
    const envs = m.replica.flushInPieces();
    for (const env of envs) written.push({ env, author: m.name, held, revokedInView });
    publish(envs);
  };
  for (const m of members) deliverAll(m.replica, published);
  commitAs(members[0]!, (r) => {
    const lacking = r.membersLackingKeys();
    for (const hex of lacking) {
      const x = members.find((y) => toHex(y.keys.publicKey) === hex)!;
      r.grant(x.keys.publicKey, r.members().get(hex)!.role as GrantableRole, x.name);
    }
    return lacking.length > 0;
  });
  for (const m of members) if (!m.dishonest) commitAs(m, (r) => r.handOverKeys() > 0);

  // ---- replay everything into fresh replicas, in several orders: each starts with the
  // boxes its grant gave it, and later gets what a complete replica hands it (KEYS)
  const all = [...published.values()];
  const shuffledLog = (order: number): CommitEnvelope[] => {
    const shuffled = [...all];
    const next = prng(seed * 1000 + order);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    return shuffled;
  };
  const replay = (m: Member, order: number, later: readonly Uint8Array[]): ShareReplica => {
    const r = new ShareReplica({ shareId: owner.shareId, me: m.keys });
    r.addKeys(grantBoxes.get(m.name)!);
    const log = shuffledLog(order);
    for (const e of log) r.receive(e.bytes);
    if (later.length > 0) {
      r.addKeys(later);
      for (const e of log) r.receive(e.bytes); // what could not be opened is tried again
    }
    return r;
  };
  const complete = replay(members[0]!, 0, []);
  const fresh = (m: Member, order: number): ShareReplica => replay(m, order, complete.keyBoxesFor(m.keys.publicKey));
  const disagreements: string[] = [];
  const views = (r: ShareReplica): { shared: string; text: string } => ({
    shared: JSON.stringify({
      heads: [...r.heads()].sort(),
      members: [...r.members()].map(([k, v]) => `${k}:${v.role}`).sort(),
      topics: r.topicsNewestFirst().map(toHex).sort(),
      forks: [...r.forks().keys()].sort(),
    }),
    text: r.text(file),
  });
  const finalMembers = fresh(members[0]!, 1).members();
  const unreadable: string[] = [];
  let reference: { shared: string; text: string } | undefined;
  // Every member once; the owner and one member picked by the seed in more orders.
  const twice = members[1 + (seed % (members.length - 1))]!;
  for (const m of members) {
    const orders = m.name === 'owner' ? [1, 2, 3] : m === twice ? [1, 2] : [1];
    const replicas = orders.map((k) => fresh(m, k));
    const seen = replicas.map(views);
    const cannotRead = all.filter((e) => replicas[0]!.rejection(e.id) === 'undecryptable').length;
    for (const v of seen.slice(1)) {
      if (v.shared !== seen[0]!.shared) disagreements.push(`${m.name}: two delivery orders disagree on heads, members, epochs or forks`);
      if (v.text !== seen[0]!.text) disagreements.push(`${m.name}: two delivery orders give different text`);
    }
    if (!finalMembers.has(toHex(m.keys.publicKey))) continue;
    if (cannotRead > 0) {
      unreadable.push(`${m.name}, a member, cannot read ${cannotRead} commits`);
      continue;
    }
    reference ??= seen[0];
    if (seen[0]!.shared !== reference!.shared) disagreements.push(`${m.name} and the owner disagree on heads, members, epochs or forks`);
    if (seen[0]!.text !== reference!.text) disagreements.push(`${m.name} and the owner see different text`);
  }

  // ---- leaks: a revoked member opening what an honest member wrote after merging its revocation
  const ownerView = fresh(members[0]!, 1);
  const leaks: string[] = [];
  for (const x of members) {
    const hex = toHex(x.keys.publicKey);
    if (finalMembers.has(hex) || x.role === 'owner') continue;
    const revokedBy = all.filter((e) => ownerView.rejection(e.id) === undefined && isEffectiveRevocationOf(ownerView, e, hex));
    if (revokedBy.length === 0) continue;
    const keys = [...fresh(x, 1).heldEpochs(), ...x.replica.heldEpochs()];
    for (const w of written) {
      if (!finalMembers.has(toHex(members.find((m) => m.name === w.author)!.keys.publicKey))) continue;
      // Known to the writer: it had merged the revocation, and its view held it effective
      // (a revocation that looked void then, its admin revoked concurrently in what the
      // writer held, is not one it could act on).
      if (!revokedBy.some((r) => w.held.has(r.id)) || !w.revokedInView.has(hex)) continue;
      if (!hasText(w.env, ownerView)) continue;
      if (keys.some((k) => opens(w.env, k.key))) leaks.push(`${x.name}, revoked, opens ${w.author}'s commit ${w.env.id.slice(0, 12)} written after merging the revocation`);
    }
  }
  return { seed, disagreements, leaks, unreadable, commits: all.length, revocations, forks: ownerView.forks().size };
}

function deliverAll(replica: ShareReplica, published: ReadonlyMap<CommitId, CommitEnvelope>): void {
  for (const e of published.values()) if (!replica.has(e.id)) replica.receive(e.bytes);
}

/** Does `env` (held by `view`) revoke `member`, with effect? */
function isEffectiveRevocationOf(view: ShareReplica, env: CommitEnvelope, member: string): boolean {
  const epoch = view.heldEpochs().find((k) => opens(env, k.key));
  if (epoch === undefined) return false;
  const actions = decodePayload(openCommitBody(env, epoch.key).payload);
  return actions.some((a) => a.type === 'revoke' && toHex(a.member) === member) && view.has(env.id) && view.rejection(env.id) === undefined;
}

function hasText(env: CommitEnvelope, view: ShareReplica): boolean {
  const epoch = view.heldEpochs().find((k) => opens(env, k.key));
  if (epoch === undefined) return false;
  return decodePayload(openCommitBody(env, epoch.key).payload).some((a) => a.type === 'text');
}

function opens(env: CommitEnvelope, key: Uint8Array): boolean {
  try {
    openCommitBody(env, key);
    return true;
  } catch {
    return false;
  }
}
