/**
 * Two brokers named to each other with `--peer-broker` (now an alias of `--bootstrap`,
 * docs/OVERLAY.md "Brokers use it"): a share both carry travels between them along its
 * ring of two, and a share only one carries never reaches the other.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { toHex } from '../../protocol/src/crypto/index.js';
import { decodeCommitEnvelope } from '../../protocol/src/log/commit.js';
import { ClientLog, makeStream } from '../protocol/broker/helpers.js';
import { cleanedUpAfter, ringOfTwo, startBroker, statusOf, tempDir, waitFor, WEFT, WireClient, type BrokerProcess } from './broker-helpers.js';

const GOSSIP = ['--gossip-ms', '500'];

describe('net/broker mesh', function () {
  this.timeout(180_000);
  const { dirs, clients } = cleanedUpAfter();

  it('--peer-broker with --no-overlay is refused with a clear message', () => {
    const dir = tempDir('broker-no-overlay');
    dirs.push(dir);
    const r = spawnSync(process.execPath, [WEFT, 'broker', '--data', dir, '--no-overlay', '--peer-broker', '/ip4/127.0.0.1/tcp/1'], { encoding: 'utf8', timeout: 30_000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--no-overlay/);
  });

  it('forwards events between two brokers both ways along the ring, never a topic only one carries, and a restarted broker catches up from its ring neighbour', async () => {
    const dirA = tempDir('broker-a');
    const dirB = tempDir('broker-b');
    dirs.push(dirA, dirB);
    const a = await startBroker(dirA, GOSSIP);
    let b: BrokerProcess = await startBroker(dirB, ['--peer-broker', a.tcp, ...GOSSIP]);
    await waitFor('the deprecation note', () => /--peer-broker is deprecated/.test(b.stderr()));

    const stream = makeStream(4);
    const commits = [...stream.commits, ...stream.more(16)];
    const ids = commits.map((c) => decodeCommitEnvelope(c).id);
    // Carried by A alone (only A's member publishes it): B named A, and must still never get it.
    const onlyA = makeStream(3, 'only-a.md');

    const subB = await WireClient.connect(b.tcp);
    const subA = await WireClient.connect(a.tcp);
    const pubA = await WireClient.connect(a.tcp);
    clients.push(subB, subA, pubA);
    for (const c of onlyA.commits) await pubA.send({ type: 'event', commit: c });
    for (const s of [subA, subB]) {
      await s.send({ type: 'subscribe', topics: [stream.topic] });
      await s.next((m) => m.type === 'subscribed');
    }
    await waitFor('the ring of two', () => ringOfTwo([dirA, dirB], toHex(stream.topic)), 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\nB:\n${b.stderr()}\nA:\n${a.stderr()}`);
    });

    // Live: published on A, received on B.
    for (const c of commits.slice(0, 5)) await pubA.send({ type: 'event', commit: c });
    const gotB = new Set<string>();
    while (gotB.size < 5) {
      const m = await subB.next((x) => x.type === 'event').catch((err: Error) => {
        throw new Error(`${err.message}\nB:\n${b.stderr()}\nA:\n${a.stderr()}`);
      });
      if (m.type === 'event') gotB.add(decodeCommitEnvelope(m.commit).id);
    }
    assert.deepEqual([...gotB].sort(), ids.slice(0, 5).sort());
    const storedOnB = (): string[] => (statusOf(dirB)?.topics ?? []).map((t) => t.topic);
    await waitFor('B to report the shared topic stored', () => (statusOf(dirB)?.topics ?? []).some((t) => t.events >= 5));
    assert.deepEqual(storedOnB(), [toHex(stream.topic)], 'B never stores the topic only A carries');
    assert.deepEqual(statusOf(dirB)?.peerBrokers, [], 'no direct link to A: --peer-broker only bootstraps');

    // And the other way: published on B, received on A's subscriber.
    const pubB = await WireClient.connect(b.tcp);
    clients.push(pubB);
    subA.drain();
    await pubB.send({ type: 'event', commit: commits[5]! });
    const m = await subA.next((x) => x.type === 'event' && decodeCommitEnvelope(x.commit).id === ids[5]);
    assert.equal(m.type, 'event');
    await pubB.close();
    await subB.close();

    // B goes down; A keeps receiving; B comes back and catches up from A.
    assert.equal(await b.kill('SIGTERM'), 0);
    for (const c of commits.slice(6)) await pubA.send({ type: 'event', commit: c });
    for (let i = 6; i < commits.length; i++) await pubA.next((x) => x.type === 'ack' && x.id === ids[i]);
    b = await startBroker(dirB, ['--peer-broker', a.tcp, ...GOSSIP]);
    // One sync session per connection and stream: each attempt uses a new connection.
    await waitFor('B to catch up from A', async () => {
      const reader = await WireClient.connect(b.tcp);
      clients.push(reader);
      const log = new ClientLog(stream.topic);
      await reader.sync(stream.topic, log);
      await reader.close();
      return log.index.size === commits.length;
    }, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\nB:\n${b.stderr()}\nA:\n${a.stderr()}`);
    });
    assert.deepEqual(storedOnB(), [toHex(stream.topic)], 'after catching up too, B holds only the shared topic');
    assert.equal(await b.kill('SIGTERM'), 0);
    assert.equal(await a.kill('SIGTERM'), 0);
  });
});
