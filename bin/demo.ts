/**
 * `weft demo`: the share layer end to end in one process. Alice creates a share and
 * grants Bob (writer) and Carol (reader) by public key; Alice and Bob type into the
 * same file while apart; every commit is signed and encrypted; the replicas exchange
 * commits in a shuffled order and converge; Carol cannot write; Alice revokes Bob and
 * Bob's concurrent edit is rejected everywhere.
 */
import {
  fingerprint,
  publicKeyToText,
  toHex,
  type SigningKeyPair,
  generateSigningKeyPair,
  type CommitEnvelope,
  NotAllowedError,
  ShareReplica,
} from '../protocol/src/index.js';
import { prng } from '../protocol/sim/index.js';

function shuffled<T>(xs: T[], next: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export function runDemo(seed: number): number {
  const next = prng(seed);
  const log: CommitEnvelope[] = [];
  const say = (s: string) => console.log(s);
  const person = (name: string): SigningKeyPair => {
    const k = generateSigningKeyPair();
    say(`  ${name.padEnd(6)} ${publicKeyToText(k.publicKey)}  (${fingerprint(k.publicKey)})`);
    return k;
  };
  say(`Weft demo (seed ${seed})\n\nIdentities:`);
  const alice = person('alice');
  const bob = person('bob');
  const carol = person('carol');

  const { replica: a, genesis } = ShareReplica.create('demo', alice);
  log.push(genesis);
  a.grant(bob.publicKey, 'writer', 'bob');
  a.grant(carol.publicKey, 'reader', 'carol');
  const file = a.createFile('notes.md', 'text', 'Meeting notes\n');
  log.push(a.flush()!);
  say(`\nAlice created share ${toHex(a.shareId).slice(0, 16)}…, granted Bob (writer) and Carol (reader), and wrote notes.md.`);

  const join = (me: SigningKeyPair) => {
    const r = new ShareReplica({ shareId: a.shareId, me });
    r.addKeys(a.keyBoxesFor(me.publicKey));
    for (const c of shuffled(log, next)) r.receive(c.bytes);
    return r;
  };
  const b = join(bob);
  const c = join(carol);
  say(`Bob and Carol joined with keys sealed to their public keys; both read ${JSON.stringify(b.text(file))}.`);

  // Offline: both type at the same place.
  const aliceWords = ['- ship the CRDT\n', '- measure it\n'];
  const bobWords = ['- write the tests\n', '- fix the bugs\n'];
  const fresh: CommitEnvelope[] = [];
  let bobAt = 'Meeting notes\n'.length;
  for (let i = 0; i < 2; i++) {
    a.edit(file, a.text(file).length, 0, aliceWords[i]!);
    fresh.push(a.flush()!);
    b.edit(file, bobAt, 0, bobWords[i]!);
    bobAt += bobWords[i]!.length;
    fresh.push(b.flush()!);
  }
  say(`\nOffline, Alice's copy:\n${indent(a.text(file))}Bob's copy:\n${indent(b.text(file))}`);
  try {
    c.edit(file, 0, 0, 'Carol was here');
  } catch (err) {
    if (err instanceof NotAllowedError) say(`Carol tried to edit: refused (${err.message}).`);
  }
  log.push(...fresh);
  let merged = 0;
  for (const r of [a, b, c]) for (const x of shuffled(log, next)) if (r.receive(x.bytes).results.some((y) => y.status === 'merged')) merged++;
  const texts = [a, b, c].map((r) => r.text(file));
  say(`\nBack online: ${merged} commits merged in shuffled orders. Everyone now has:\n${indent(texts[0]!)}`);
  if (new Set(texts).size !== 1) {
    say('DIVERGED: ' + JSON.stringify(texts));
    return 1;
  }

  // Revocation, with an edit by Bob concurrent with it.
  a.revoke(bob.publicKey);
  const revocation = a.flush()!;
  b.edit(file, 0, 0, 'BOB WAS HERE ');
  const bobLate = b.flush()!;
  log.push(revocation, bobLate);
  for (const r of [a, c]) for (const x of shuffled([revocation, bobLate], next)) r.receive(x.bytes);
  say(`\nAlice revoked Bob while Bob was typing "BOB WAS HERE". Bob's edit on Alice's and Carol's replicas: ${a.rejection(bobLate.id) ?? 'accepted'} / ${c.rejection(bobLate.id) ?? 'accepted'}.`);
  a.edit(file, a.text(file).length, 0, '- rotate keys\n');
  const after = a.flush()!;
  c.receive(after.bytes);
  const bobSees = b.receive(revocation.bytes) && b.receive(after.bytes);
  say(`Alice wrote after the revocation with the new epoch key; Carol reads it, Bob cannot (${bobSees.results[0]?.status === 'rejected' ? (bobSees.results[0] as { reason: string }).reason : 'read it!'}).`);
  const final = [a.text(file), c.text(file)];
  say(`\nFinal text (Alice = Carol: ${final[0] === final[1]}):\n${indent(final[0]!)}`);
  return final[0] === final[1] && !final[0]!.includes('BOB WAS HERE') ? 0 : 1;
}

function indent(s: string): string {
  return s
    .split('\n')
    .filter((l) => l.length)
    .map((l) => `    ${l}\n`)
    .join('');
}
