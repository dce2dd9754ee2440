import assert from 'node:assert/strict';
import { decodeCommitEnvelope } from '../../protocol/src/log/commit.js';
import { ClientLog, makeStream } from '../protocol/broker/helpers.js';
import { WireClient, killAll, removeDir, startBroker, tempDir, type BrokerProcess } from './broker-helpers.js';

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('net/broker mesh', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const clients: WireClient[] = [];
  after(async () => {
    killAll();
    await Promise.all(clients.map((c) => c.close()));
    for (const d of dirs) removeDir(d);
  });

  it('forwards events between two brokers both ways, and a restarted broker catches up from its peer', async () => {
    const dirA = tempDir('broker-a');
    const dirB = tempDir('broker-b');
    dirs.push(dirA, dirB);
    const a = await startBroker(dirA);
    let b: BrokerProcess = await startBroker(dirB, ['--peer-broker', a.tcp]);
    await waitFor('B to reach A', () => /connected to peer broker/.test(b.stderr()));

    const stream = makeStream(4);
    const commits = [...stream.commits, ...stream.more(16)];
    const ids = commits.map((c) => decodeCommitEnvelope(c).id);

    const subB = await WireClient.connect(b.tcp);
    const subA = await WireClient.connect(a.tcp);
    const pubA = await WireClient.connect(a.tcp);
    clients.push(subB, subA, pubA);
    for (const s of [subA, subB]) {
      await s.send({ type: 'subscribe', topics: [stream.topic] });
      await s.next((m) => m.type === 'subscribed');
    }

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
    b = await startBroker(dirB, ['--peer-broker', a.tcp]);
    // One sync session per connection and stream: each attempt uses a new connection.
    await waitFor('B to catch up from A', async () => {
      const reader = await WireClient.connect(b.tcp);
      clients.push(reader);
      const log = new ClientLog(stream.topic);
      await reader.sync(stream.topic, log);
      await reader.close();
      return log.index.size === commits.length;
    }).catch((err: Error) => {
      throw new Error(`${err.message}\nB:\n${b.stderr()}\nA:\n${a.stderr()}`);
    });
    assert.equal(await b.kill('SIGTERM'), 0);
    assert.equal(await a.kill('SIGTERM'), 0);
  });
});
