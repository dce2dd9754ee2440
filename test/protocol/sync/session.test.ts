import assert from 'node:assert/strict';
import { DecodeError } from '../../../protocol/src/codec/errors.js';
import {
  SyncProtocolError,
  SyncSession,
  decodeSyncMessage,
  encodeSyncMessage,
  runSyncToCompletion,
  type SyncRunResult,
} from '../../../protocol/src/sync/index.js';
import { FakeReplica, diverged, missingBytes, prng, sameSet, grow } from './fake-replica.js';

function report(label: string, r: SyncRunResult, lacking: number): void {
  const sent = r.bytesAtoB + r.bytesBtoA;
  const overhead = lacking > 0 ? `${(((sent - lacking) / lacking) * 100).toFixed(2)}%` : `${sent - lacking} B`;
  console.log(
    `      ${label}: ${r.flights} flights (${r.roundTrips} RTT), ${r.messages} messages, ` +
      `A->B ${r.bytesAtoB} B (${r.commitsAtoB} commits), B->A ${r.bytesBtoA} B (${r.commitsBtoA} commits), ` +
      `missing ${lacking} B, overhead ${overhead}`,
  );
}

function syncAndCheck(a: FakeReplica, b: FakeReplica, label: string, opts: Parameters<typeof runSyncToCompletion>[2] = {}): SyncRunResult {
  const lacking = missingBytes(a, b) + missingBytes(b, a);
  const r = runSyncToCompletion(a, b, opts);
  report(label, r, lacking);
  assert.ok(r.done, 'both sessions done');
  assert.ok(sameSet(a, b), 'same commit sets');
  assert.equal(a.pendingCount + b.pendingCount, 0);
  assert.deepEqual(r.sharedHeads.a, a.heads());
  assert.deepEqual(r.sharedHeads.b, a.heads());
  return r;
}

describe('sync/session', () => {
  it('identical replicas agree in one flight and send no commits', () => {
    const { a, b } = diverged(1, 50, 0, 0);
    const r = syncAndCheck(a, b, 'identical');
    assert.equal(r.flights, 1);
    assert.equal(r.commitsAtoB + r.commitsBtoA, 0);
  });

  it('two empty replicas are done at once', () => {
    const r = syncAndCheck(new FakeReplica(), new FakeReplica(), 'empty');
    assert.equal(r.flights, 1);
  });

  it('a fresh joiner gets everything in one reply, split into bounded messages', () => {
    const { a } = diverged(2, 3000, 0, 0);
    const b = new FakeReplica();
    const max = 64 * 1024;
    const r = syncAndCheck(a, b, 'fresh joiner (B empty, both start)', { a: { maxMessageBytes: max }, b: { maxMessageBytes: max } });
    assert.ok(r.flights <= 3);
    assert.ok(r.largestMessage <= max, `largest message ${r.largestMessage}`);
    assert.equal(r.commitsAtoB, 3000);
    assert.equal(r.commitsBtoA, 0);
    assert.ok(r.messages >= 10, 'the transfer was split');
  });

  it('a fresh joiner that only asks, and a veteran that only answers', () => {
    const { a } = diverged(3, 2000, 0, 0);
    const fresh = new FakeReplica();
    const r1 = syncAndCheck(fresh, a, 'fresh joiner starts, veteran answers', { initiator: 'a' });
    assert.ok(r1.flights <= 3, `${r1.flights} flights`);
    assert.equal(r1.commitsBtoA, 2000);
    const fresh2 = new FakeReplica();
    const r2 = syncAndCheck(a, fresh2, 'veteran starts, fresh joiner answers', { initiator: 'a' });
    assert.ok(r2.flights <= 4, `${r2.flights} flights`);
  });

  it('a strict superset sends only the difference', () => {
    const { a, b } = diverged(4, 500, 300, 0);
    const r = syncAndCheck(a, b, 'A superset of B');
    assert.equal(r.commitsAtoB, 300);
    assert.equal(r.commitsBtoA, 0);
    const { a: a2, b: b2 } = diverged(5, 500, 0, 300);
    const r2 = syncAndCheck(a2, b2, 'B superset of A, A only starts', { initiator: 'a' });
    assert.equal(r2.commitsBtoA, 300);
    assert.equal(r2.commitsAtoB, 0);
  });

  for (const n of [1, 100, 10_000]) {
    it(`replicas diverged by ${n} commits each (with and without lastSyncHeads)`, function () {
      this.timeout(60_000);
      const base = n === 10_000 ? 1000 : 300;
      const { a, b, forkHeads } = diverged(100 + n, base, n, n);
      const a2 = new FakeReplica();
      a2.copyFrom(a);
      const b2 = new FakeReplica();
      b2.copyFrom(b);
      const r = syncAndCheck(a, b, `diverged ${n}/${n}, lastSync = fork`, { a: { lastSyncHeads: forkHeads }, b: { lastSyncHeads: forkHeads } });
      assert.equal(r.commitsAtoB, n);
      assert.equal(r.commitsBtoA, n);
      assert.equal(r.flights, 3);
      const r2 = syncAndCheck(a2, b2, `diverged ${n}/${n}, no lastSync`);
      assert.ok(r2.flights <= 5);
      if (n >= 100) {
        const sent = r.bytesAtoB + r.bytesBtoA;
        const commitBytes = r.commitBytesAtoB + r.commitBytesBtoA;
        assert.ok(sent < commitBytes * 1.05, `overhead ${sent - commitBytes} bytes on ${commitBytes}`);
      }
    });
  }

  it('one side answering only takes two round trips when both diverged', () => {
    const { a, b, forkHeads } = diverged(7, 200, 150, 120);
    const r = syncAndCheck(a, b, 'diverged 150/120, only A starts', { initiator: 'a', a: { lastSyncHeads: forkHeads }, b: { lastSyncHeads: forkHeads } });
    assert.equal(r.flights, 4);
  });

  it('false positives never leave a commit missing (filter of all ones)', () => {
    // 0.01 bits per entry: an 8-bit filter, so every probe hits and every commit looks "had".
    const tiny = { bloomBitsPerEntry: 0.01, bloomHashes: 1 };
    const { a, b, forkHeads } = diverged(8, 200, 400, 350);
    const r = syncAndCheck(a, b, 'forced false positives (8-bit filter), lastSync = fork', {
      a: { ...tiny, lastSyncHeads: forkHeads },
      b: { ...tiny, lastSyncHeads: forkHeads },
    });
    assert.equal(r.flights, 5, 'one repair round');
    assert.equal(r.commitsAtoB, 400);
    assert.equal(r.commitsBtoA, 350);
    // Without lastSync the repair cannot tell the common past from what was skipped, so it
    // re-sends some of it: more bytes, still one repair round, still nothing missing.
    const { a: a2, b: b2 } = diverged(8, 200, 400, 350);
    const r2 = syncAndCheck(a2, b2, 'forced false positives (8-bit filter), no lastSync', { a: tiny, b: tiny });
    assert.equal(r2.flights, 5);
    assert.ok(r2.commitsAtoB >= 400 && r2.commitsAtoB <= 600);
  });

  it('partial false positives are repaired in one extra round trip', () => {
    const { a, b, forkHeads } = diverged(9, 100, 2000, 2000, { writers: 8, mergeChance: 0.3 });
    const lossy = { bloomBitsPerEntry: 1, bloomHashes: 1, lastSyncHeads: forkHeads };
    const r = syncAndCheck(a, b, 'forced false positives (1 bit per entry)', { a: lossy, b: lossy });
    assert.ok(r.flights <= 5, `${r.flights} flights`);
    assert.equal(r.commitsAtoB, 2000, 'commits waiting in the buffer are not re-sent');
    assert.equal(r.commitsBtoA, 2000);
  });

  it('garbage is refused with a typed error and changes nothing', () => {
    const { a, b } = diverged(10, 100, 20, 30);
    const sa = new SyncSession(a);
    const sb = new SyncSession(b);
    const opening = sa.start();
    const rand = prng(10);
    const garbage: Uint8Array[] = [new Uint8Array(0), new Uint8Array([0x53]), new Uint8Array([0x53, 9, 0]), Uint8Array.from({ length: 100 }, () => (rand() * 256) | 0)];
    for (let i = 1; i < opening[0]!.length; i += 7) garbage.push(opening[0]!.slice(0, i));
    for (const g of garbage) {
      const step = sb.receive(g);
      assert.ok(step.error instanceof DecodeError, 'DecodeError result');
      assert.deepEqual(step.send, []);
      assert.deepEqual(step.commits, []);
      assert.equal(step.done, false);
    }
    assert.equal(sb.getStats().messagesRejected, garbage.length);
    assert.equal(sb.getStats().messagesReceived, 0);
    // The session still works after all that.
    const step = sb.receive(opening[0]!);
    assert.equal(step.error, undefined);
    assert.ok(step.send.length > 0);
  });

  it('a peer claiming answers to requests never sent is refused', () => {
    const { a } = diverged(11, 10, 0, 0);
    const s = new SyncSession(a);
    s.start();
    const bogus = encodeSyncMessage({ heads: [], answered: 5, more: false, commits: [] });
    const step = s.receive(bogus);
    assert.ok(step.error instanceof SyncProtocolError);
    assert.equal(step.error.code, 'bad-answer');
  });

  it('a peer advertising heads it never delivers makes the session give up, not loop', () => {
    const { a } = diverged(12, 10, 0, 0);
    const s = new SyncSession(a);
    s.start();
    const phantom = 'ab'.repeat(32) as never;
    let answered = 0;
    let gaveUp = false;
    for (let i = 0; i < 10 && !gaveUp; i++) {
      const reply = s.receive(encodeSyncMessage({ heads: [phantom], answered: ++answered, more: false, commits: [] }));
      assert.equal(reply.error, undefined);
      const after = s.poll();
      if (after.error) {
        assert.ok(after.error instanceof SyncProtocolError && after.error.code === 'incomplete');
        gaveUp = true;
      } else {
        assert.equal(after.send.length, 1, 'a repair request');
        assert.deepEqual(decodeSyncMessage(after.send[0]!).need, [phantom]);
      }
    }
    assert.ok(gaveUp);
  });

  it('lastSyncHeads from the previous session keep the next filter small', () => {
    const { a, b } = diverged(13, 2000, 10, 10);
    const r1 = runSyncToCompletion(a, b);
    assert.ok(r1.done);
    grow(a, 5, prng(1));
    grow(b, 5, prng(2));
    const first = new SyncSession(a, { lastSyncHeads: r1.sharedHeads.a }).start();
    const cold = new SyncSession(a).start();
    const bloomSize = (m: Uint8Array) => decodeSyncMessage(m).have!.bloom.byteLength;
    assert.ok(bloomSize(first[0]!) < 16, `warm filter ${bloomSize(first[0]!)} bytes`);
    assert.ok(bloomSize(cold[0]!) > 2000, `cold filter ${bloomSize(cold[0]!)} bytes`);
    const r2 = syncAndCheck(a, b, 'second session after 5/5 new', { a: { lastSyncHeads: r1.sharedHeads.a }, b: { lastSyncHeads: r1.sharedHeads.b } });
    assert.equal(r2.commitsAtoB + r2.commitsBtoA, 10);
  });

  it('commits made after the sessions are done are announced by poll() and fetched', () => {
    const { a, b } = diverged(14, 50, 5, 5);
    const sa = new SyncSession(a);
    const sb = new SyncSession(b);
    let toB = sa.start();
    let toA = sb.start();
    const pump = () => {
      for (let i = 0; i < 20 && (toA.length || toB.length); i++) {
        const nextA: Uint8Array[] = [];
        const nextB: Uint8Array[] = [];
        for (const m of toB) {
          const s = sb.receive(m);
          s.commits.forEach((c) => b.merge(c));
          nextA.push(...s.send, ...sb.poll().send);
        }
        for (const m of toA) {
          const s = sa.receive(m);
          s.commits.forEach((c) => a.merge(c));
          nextB.push(...s.send, ...sa.poll().send);
        }
        toA = nextA;
        toB = nextB;
      }
    };
    pump();
    assert.ok(sa.done && sb.done && sameSet(a, b));
    grow(a, 3, prng(99));
    assert.equal(sa.done, false);
    toB = sa.poll().send;
    assert.equal(toB.length, 1);
    pump();
    assert.ok(sa.done && sb.done && sameSet(a, b));
  });
});
