/**
 * Seeded property test: random edits, file operations, grants and revocations across
 * 3 to 5 replicas, partitioned and healed in random orders; every replica that is
 * still a member ends identical (documents, manifest, members, keys, heads).
 */
import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/src/crypto/index.js';
import { NotAllowedError, type ShareReplica } from '../../../protocol/src/share/replica.js';
import { makeTeam, rng, seededRandom } from './harness.js';

function state(r: ShareReplica): string {
  return JSON.stringify({
    heads: r.heads(),
    files: r.files(),
    texts: r.files().map((f) => [f.path, r.text(f.file)]),
    members: [...r.members()].sort(),
    epochs: r.heldEpochs().map((e) => toHex(e.topic)).sort(),
  });
}

function runScenario(seed: number, steps: number): void {
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const n = 2 + Math.floor(next() * 3); // members besides the owner: 3..5 replicas in all
  const names = Array.from({ length: n }, (_, i) => `m${i}`);
  const team = makeTeam(names.map((m, i) => [m, i === 0 ? 'admin' : next() < 0.8 ? 'writer' : 'reader']), seededRandom(next));
  const all = [...team.replicas.entries()];
  const revoked = new Set<string>();
  let groups: string[][] = [all.map(([k]) => k)];
  const sync = (group: string[]) => {
    // Everything any member of the group holds reaches every member of the group.
    for (const name of group) team.net.deliverAll(team.replicas.get(name)!, next);
  };
  for (let step = 0; step < steps; step++) {
    const [name, r] = pick(all);
    const roll = next();
    try {
      const files = r.files().filter((f) => f.kind === 'text');
      if (roll < 0.55 && files.length) {
        const f = pick(files);
        const len = r.text(f.file).length;
        const at = Math.floor(next() * (len + 1));
        const del = next() < 0.3 ? Math.floor(next() * Math.min(5, len - at + 1)) : 0;
        r.edit(f.file, at, del, next() < 0.8 ? 'abcdefgh'.slice(0, 1 + Math.floor(next() * 8)) : '');
      } else if (roll < 0.68) {
        r.createFile(pick(['a.md', 'b.md', 'dir/c.ts', 'd.txt']), 'text', `from ${name}\n`);
      } else if (roll < 0.74 && files.length) {
        r.renameFile(pick(files).file, pick(['x.md', 'dir/y.md', 'a.md']));
      } else if (roll < 0.78 && files.length) {
        r.deleteFile(pick(files).file);
      } else if (roll < 0.82) {
        const [target] = pick(all);
        if (target !== 'owner') r.grant(team.keys.get(target)!.publicKey, pick(['writer', 'admin', 'reader'] as const), target);
      } else if (roll < 0.84 && name === 'owner' && revoked.size < n - 1) {
        const [target] = pick(all.filter(([k]) => k !== 'owner' && !revoked.has(k)));
        r.revoke(team.keys.get(target)!.publicKey);
        revoked.add(target);
      } else if (roll < 0.92) {
        // Repartition: random groups.
        const shuffledNames = all.map(([k]) => k).sort(() => next() - 0.5);
        const cut = 1 + Math.floor(next() * shuffledNames.length);
        groups = [shuffledNames.slice(0, cut), shuffledNames.slice(cut)].filter((g) => g.length);
      } else {
        sync(pick(groups));
      }
      team.net.publish(r.flush());
    } catch (err) {
      if (!(err instanceof NotAllowedError)) throw err;
    }
  }
  // Heal: everyone receives everything (twice, so late keys open late commits).
  for (let round = 0; round < 2; round++) for (const [, r] of all) team.net.deliverAll(r, next);
  const members = all.filter(([k]) => !revoked.has(k));
  const ref = state(members[0]![1]);
  for (const [k, r] of members) assert.equal(state(r), ref, `replica ${k} differs (seed ${seed})`);
}

describe('share/convergence (seeded property test)', () => {
  const base = Number(process.env.WEFT_SEED ?? 1000);
  for (let i = 0; i < 25; i++) {
    const seed = base + i;
    it(`random edits, files, grants, revocations, partitions converge (seed ${seed})`, () => {
      runScenario(seed, 120);
    });
  }
});
