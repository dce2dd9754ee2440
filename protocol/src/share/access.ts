/**
 * Access control evaluated on the causal DAG.
 *
 * Access commits (genesis, grants, revocations) form a small DAG of their own: each
 * one's `parents` are the maximal access commits in its causal past (its "access
 * frontier"). Every other commit carries its access frontier too, so "what did the
 * author hold in this commit's causal past" is a question about a handful of access
 * commits, never a walk over the whole log.
 *
 * Rules (deterministic: the same set of commits gives the same answers on every replica):
 * - The owner (named by the share's genesis) holds every right and cannot be revoked.
 * - A member's role in a causal past P: among the effective grants and revocations of
 *   that member in P, take the maximal ones (not in the past of another); if any of
 *   them is a revocation the member has no role (a revocation wins over a concurrent
 *   grant); otherwise the lowest role granted by them (concurrent grants: the more
 *   cautious one).
 * - An access commit is effective iff its author may administer in its causal past,
 *   it never touches the owner, and no effective revocation of its author is
 *   concurrent with it: revocation wins, for admins too, so a grant an admin makes
 *   while being revoked (or backdates) takes effect nowhere. Owner revocations are
 *   always effective. The one exception is two admins revoking each other at once:
 *   each revocation would void the other, so the order decides (topological over the
 *   access DAG, ties broken by commit id): the one that comes first wins, and voids
 *   the other admin's concurrent access commits.
 * - Any other commit is effective iff its author may write in its causal past and no
 *   effective revocation of its author is concurrent with it (see `ShareReplica`).
 */
import type { CommitId } from '../log/ids.js';
import { canAdminister, lowerRole, type GrantableRole, type Role } from './roles.js';

export interface AccessCommit {
  readonly id: CommitId;
  /** Author public key, hex. */
  readonly author: string;
  readonly parents: readonly CommitId[];
  readonly grants: ReadonlyArray<{ member: string; role: GrantableRole; name: string }>;
  readonly revokes: readonly string[];
  readonly genesis: boolean;
}

export class AccessState {
  private readonly commits = new Map<CommitId, AccessCommit>();
  private readonly closures = new Map<CommitId, ReadonlySet<CommitId>>();
  private readonly frontierClosures = new Map<string, ReadonlySet<CommitId>>();
  private effective = new Set<CommitId>();
  private order: CommitId[] = [];
  /** Access commits not in the past of another (the access DAG's tips). */
  private readonly tips = new Set<CommitId>();
  private memberCache: Map<string, { role: Role; name: string }> | undefined;
  /** Access commits of an admin from its fork on (see ShareReplica's author chains): void, like their text. */
  private readonly voidedByFork = new Set<CommitId>();

  constructor(readonly owner: string) {}

  has(id: CommitId): boolean {
    return this.commits.has(id);
  }

  get(id: CommitId): AccessCommit | undefined {
    return this.commits.get(id);
  }

  isEffective(id: CommitId): boolean {
    return this.effective.has(id);
  }

  effectiveIds(): ReadonlySet<CommitId> {
    return this.effective;
  }

  /** Strict access-ancestors of an access commit. */
  closureOf(id: CommitId): ReadonlySet<CommitId> {
    const c = this.closures.get(id);
    if (c) return c;
    const set = new Set<CommitId>();
    for (const p of this.commits.get(id)!.parents) {
      set.add(p);
      for (const q of this.closureOf(p)) set.add(q);
    }
    this.closures.set(id, set);
    return set;
  }

  /** Access commits in the causal past described by a frontier (inclusive). */
  closureOfFrontier(frontier: readonly CommitId[]): ReadonlySet<CommitId> {
    if (frontier.length === 1) {
      const only = frontier[0]!;
      const key = only;
      let c = this.frontierClosures.get(key);
      if (!c) {
        c = new Set([only, ...this.closureOf(only)]);
        this.frontierClosures.set(key, c);
      }
      return c;
    }
    const key = frontier.join(',');
    let c = this.frontierClosures.get(key);
    if (!c) {
      const set = new Set<CommitId>();
      for (const f of frontier) {
        set.add(f);
        for (const q of this.closureOf(f)) set.add(q);
      }
      c = set;
      this.frontierClosures.set(key, c);
    }
    return c;
  }

  /** Maximal elements of a set of access commit ids (those not in the past of another). */
  maximal(ids: Iterable<CommitId>): CommitId[] {
    const list = [...new Set(ids)];
    return list.filter((a) => !list.some((b) => b !== a && this.closureOf(b).has(a))).sort();
  }

  /** Adds an access commit and re-evaluates which access commits are effective. Returns true if an earlier verdict changed. */
  add(c: AccessCommit): boolean {
    if (this.commits.has(c.id)) return false;
    const before = this.effective;
    // The usual case: the new commit follows the only tip, so nothing is concurrent with
    // it: it comes last in the order, changes no earlier verdict, and is judged alone
    // (linear in the number of access commits, not a re-evaluation of all of them).
    const followsAll = this.tips.size === 1 && c.parents.length === 1 && this.tips.has(c.parents[0]!) && !c.genesis;
    this.commits.set(c.id, c);
    for (const p of c.parents) this.tips.delete(p);
    this.tips.add(c.id);
    this.frontierClosures.clear();
    this.memberCache = undefined;
    if (followsAll) {
      this.order.push(c.id);
      if (!this.voidedByFork.has(c.id) && this.judge(c, this.effective, [])) this.effective.add(c.id);
      return false;
    }
    this.evaluate();
    for (const id of before) if (!this.effective.has(id)) return true;
    return false;
  }

  /**
   * Voids the access commits among `ids` (a forking admin's commits from its fork on; the
   * owner's stay: the owner is never revoked). Returns true if an effective commit lost
   * its effect.
   */
  voidForks(ids: Iterable<CommitId>): boolean {
    let added = false;
    for (const id of ids) {
      const c = this.commits.get(id);
      if (c === undefined || c.author === this.owner || this.voidedByFork.has(id)) continue;
      this.voidedByFork.add(id);
      added = true;
    }
    if (!added) return false;
    const before = this.effective;
    this.memberCache = undefined;
    this.evaluate();
    for (const id of before) if (!this.effective.has(id)) return true;
    return false;
  }

  /** Role of `member` (hex) in the causal past given as a set of access commit ids. */
  roleIn(member: string, past: ReadonlySet<CommitId>): Role | undefined {
    if (member === this.owner) return 'owner';
    const touching: CommitId[] = [];
    for (const id of past) {
      if (!this.effective.has(id)) continue;
      const c = this.commits.get(id)!;
      if (c.revokes.includes(member) || c.grants.some((g) => g.member === member)) touching.push(id);
    }
    if (touching.length === 0) return undefined;
    let role: Role | undefined;
    for (const id of this.maximal(touching)) {
      const c = this.commits.get(id)!;
      if (c.revokes.includes(member)) return undefined;
      for (const g of c.grants) if (g.member === member) role = role ? lowerRole(role, g.role) : g.role;
    }
    return role;
  }

  /** Members (hex) holding a role in the causal past given as a set of access commit ids. */
  membersIn(past: ReadonlySet<CommitId>): Set<string> {
    const candidates = new Set<string>([this.owner]);
    for (const id of past) for (const g of this.commits.get(id)?.grants ?? []) candidates.add(g.member);
    return new Set([...candidates].filter((m) => this.roleIn(m, past) !== undefined));
  }

  /** Effective revocations of `member`, in evaluation order. */
  revocationsOf(member: string): AccessCommit[] {
    return this.order.filter((id) => this.effective.has(id) && this.commits.get(id)!.revokes.includes(member)).map((id) => this.commits.get(id)!);
  }

  /** Every revocation of `member` in the log, effective or not (attempts count: see ShareReplica.keysOwed). */
  revocationAttemptsOf(member: string): AccessCommit[] {
    return this.order.filter((id) => this.commits.get(id)!.revokes.includes(member)).map((id) => this.commits.get(id)!);
  }

  /** Effective revocations of anyone, in evaluation order. */
  effectiveRevocations(): AccessCommit[] {
    return this.order.filter((id) => this.effective.has(id) && this.commits.get(id)!.revokes.length > 0).map((id) => this.commits.get(id)!);
  }

  /**
   * Is access commit `id` void whatever else arrives: its author was revoked by the owner
   * concurrently (the owner is never revoked, so that revocation always holds)?
   */
  voidForGood(id: CommitId): boolean {
    const c = this.commits.get(id);
    if (c === undefined || c.author === this.owner) return false;
    return this.order.some((r) => {
      const rc = this.commits.get(r)!;
      return rc.author === this.owner && rc.revokes.includes(c.author) && this.concurrent(r, id);
    });
  }

  /** The name `member` (hex) was last granted under, also once revoked; undefined if it never was a member. */
  nameOf(member: string): string | undefined {
    let name = member === this.owner ? 'owner' : undefined;
    for (const id of this.order) {
      if (!this.effective.has(id)) continue;
      for (const g of this.commits.get(id)!.grants) if (g.member === member) name = g.name;
    }
    return name;
  }

  /** Current members and roles (evaluated on every access commit known). */
  members(): Map<string, { role: Role; name: string }> {
    if (this.memberCache) return this.memberCache;
    const all = new Set(this.commits.keys());
    const names = new Map<string, string>();
    for (const id of this.order) {
      if (!this.effective.has(id)) continue;
      for (const g of this.commits.get(id)!.grants) names.set(g.member, g.name);
    }
    const out = new Map<string, { role: Role; name: string }>();
    out.set(this.owner, { role: 'owner', name: names.get(this.owner) ?? 'owner' });
    for (const [member, name] of names) {
      const role = this.roleIn(member, all);
      if (role) out.set(member, { role, name });
    }
    this.memberCache = out;
    return out;
  }

  /** Deterministic topological order of the access DAG (ties by commit id). */
  private topoOrder(): CommitId[] {
    const indeg = new Map<CommitId, number>();
    const children = new Map<CommitId, CommitId[]>();
    for (const c of this.commits.values()) {
      indeg.set(c.id, c.parents.length);
      for (const p of c.parents) {
        let ch = children.get(p);
        if (!ch) children.set(p, (ch = []));
        ch.push(c.id);
      }
    }
    const ready = [...indeg].filter(([, d]) => d === 0).map(([id]) => id).sort();
    const out: CommitId[] = [];
    while (ready.length) {
      const id = ready.shift()!;
      out.push(id);
      for (const ch of children.get(id) ?? []) {
        const d = indeg.get(ch)! - 1;
        indeg.set(ch, d);
        if (d === 0) {
          const i = ready.findIndex((x) => x > ch);
          ready.splice(i < 0 ? ready.length : i, 0, ch);
        }
      }
    }
    return out;
  }

  private concurrent(a: CommitId, b: CommitId): boolean {
    return a !== b && !this.closureOf(a).has(b) && !this.closureOf(b).has(a);
  }

  /**
   * Effective access commits. A forward pass in the order finds them, letting only
   * revocations that come earlier void a commit; then any effective revocation of X
   * that comes later but is concurrent with an access commit of X (a grant made while
   * being revoked, or backdated) voids that commit too, unless the commit revokes the
   * revoker (the mutual case, settled by the order). Voiding a commit can revive what
   * it had voided, so the pass runs again without it, until nothing changes: at most
   * once per access commit, and the same on every replica.
   */
  private evaluate(): void {
    this.order = this.topoOrder();
    const voided = new Set<CommitId>(this.voidedByFork);
    for (;;) {
      const eff = this.forwardPass(voided);
      const late = this.order.filter((id) => eff.has(id) && this.voidedByLaterRevocation(id, eff));
      if (late.length === 0) {
        this.effective = eff;
        return;
      }
      for (const id of late) voided.add(id);
    }
  }

  /** Is `id`, an access commit of some admin X, concurrent with an effective revocation of X that comes after it, and not itself a revocation of that revocation's author? */
  private voidedByLaterRevocation(id: CommitId, eff: ReadonlySet<CommitId>): boolean {
    const c = this.commits.get(id)!;
    if (c.author === this.owner || c.genesis) return false;
    const at = this.order.indexOf(id);
    for (let i = at + 1; i < this.order.length; i++) {
      const r = this.order[i]!;
      if (!eff.has(r)) continue;
      const rc = this.commits.get(r)!;
      if (rc.revokes.includes(c.author) && this.concurrent(r, id) && !c.revokes.includes(rc.author)) return true;
    }
    return false;
  }

  private forwardPass(voided: ReadonlySet<CommitId>): Set<CommitId> {
    const eff = new Set<CommitId>();
    this.effective = eff;
    // Owner revocations first: they are effective whatever else happens.
    const ownerRevocations = this.order.filter((id) => {
      const c = this.commits.get(id)!;
      return c.author === this.owner && c.revokes.length > 0;
    });
    for (const id of this.order) if (!voided.has(id) && this.judge(this.commits.get(id)!, eff, ownerRevocations)) eff.add(id);
    return eff;
  }

  /** Is `c` effective, given the commits found effective before it in the order and the owner's revocations? */
  private judge(c: AccessCommit, eff: ReadonlySet<CommitId>, ownerRevocations: readonly CommitId[]): boolean {
    const id = c.id;
    if (c.genesis) return c.author === this.owner && c.parents.length === 0;
    if (c.grants.some((g) => g.member === this.owner) || c.revokes.includes(this.owner)) return false;
    if (c.author === this.owner) return true;
    const past = new Set<CommitId>(c.parents);
    for (const p of c.parents) for (const q of this.closureOf(p)) past.add(q);
    if (!canAdminister(this.roleIn(c.author, past))) return false;
    if (ownerRevocations.some((r) => this.commits.get(r)!.revokes.includes(c.author) && this.concurrent(r, id))) return false;
    // Admin revocations of the author that come earlier in the order and are concurrent.
    for (const r of eff) {
      const rc = this.commits.get(r)!;
      if (rc.revokes.includes(c.author) && this.concurrent(r, id)) return false;
    }
    return true;
  }
}
