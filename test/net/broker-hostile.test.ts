import assert from 'node:assert/strict';
import { decodeCommitEnvelope } from '../../protocol/src/log/commit.js';
import type { WireMessage } from '../../protocol/src/multicast/wire.js';
import { makeStream } from '../protocol/broker/helpers.js';
import { WireClient, killAll, removeDir, startBroker, tempDir, type BrokerProcess } from './broker-helpers.js';

function errorCode(m: WireMessage): string | undefined {
  return m.type === 'error' ? m.code : undefined;
}

describe('net/broker hostile clients', function () {
  this.timeout(60_000);
  let dir: string;
  let broker: BrokerProcess;
  const clients: WireClient[] = [];
  before(async () => {
    dir = tempDir('broker-hostile');
    broker = await startBroker(dir, ['--max-frame-bytes', '65536']);
  });
  after(async () => {
    killAll();
    await Promise.all(clients.map((c) => c.close()));
    removeDir(dir);
  });

  it('refuses malformed, oversized, unsigned and replayed frames while other clients keep being served', async () => {
    const stream = makeStream(4);
    const commits = [...stream.commits, ...stream.more(36)];
    const pub = await WireClient.connect(broker.tcp);
    const sub = await WireClient.connect(broker.tcp);
    const evil = await WireClient.connect(broker.tcp);
    const huge = await WireClient.connect(broker.tcp, { maxFrameBytes: 1 << 20 });
    clients.push(pub, sub, evil, huge);
    await sub.send({ type: 'subscribe', topics: [stream.topic] });
    await sub.next((m) => m.type === 'subscribed');

    const received = new Set<string>();
    let duplicates = 0;
    const collect = (): void => {
      for (const m of sub.drain((x) => x.type === 'event')) {
        if (m.type !== 'event') continue;
        const id = decodeCommitEnvelope(m.commit).id;
        if (received.has(id)) duplicates++;
        received.add(id);
      }
    };

    // First half of the good traffic.
    for (const c of commits.slice(0, 20)) await pub.send({ type: 'event', commit: c });

    // Hostile input, interleaved.
    const forged = commits[5]!.slice();
    forged[forged.length - 1]! ^= 0xff;
    const unsigned = commits[6]!.slice();
    unsigned.fill(0, unsigned.length - 64);
    await evil.send({ type: 'event', commit: forged });
    assert.equal(errorCode(await evil.next((m) => m.type === 'error')), 'bad-signature');
    await evil.send({ type: 'event', commit: unsigned });
    assert.equal(errorCode(await evil.next((m) => m.type === 'error')), 'bad-signature');
    await evil.send(new Uint8Array([0x4d, 1, 99, 1, 2]));
    assert.equal(errorCode(await evil.next((m) => m.type === 'error')), 'malformed');
    await evil.send({ type: 'event', commit: new Uint8Array([0x43, 1, 0]) });
    assert.equal(errorCode(await evil.next((m) => m.type === 'error')), 'malformed');
    // A replay of a stored event: acknowledged, not stored or forwarded again.
    await pub.next((m) => m.type === 'ack' && m.id === decodeCommitEnvelope(commits[0]!).id);
    await evil.send({ type: 'event', commit: commits[0]! });
    await evil.next((m) => m.type === 'ack');

    // A frame above the broker's frame limit: the broker drops that connection.
    await huge.send(new Uint8Array(100_000)).catch(() => {});
    const t = Date.now();
    while (!huge.closed && Date.now() - t < 5000) await new Promise((r) => setTimeout(r, 50));
    assert.ok(huge.closed, 'the oversized sender was disconnected');

    // A flood of garbage: the broker closes the connection once it is out of strikes.
    for (let i = 0; i < 300 && !evil.closed; i++) await evil.send(new Uint8Array([7, 7, 7, i & 0xff])).catch(() => {});
    const t2 = Date.now();
    while (!evil.closed && Date.now() - t2 < 5000) await new Promise((r) => setTimeout(r, 50));
    assert.ok(evil.closed, 'the flooding client was disconnected');

    // Second half of the good traffic still flows.
    for (const c of commits.slice(20)) await pub.send({ type: 'event', commit: c });
    const deadline = Date.now() + 10_000;
    while (received.size < commits.length && Date.now() < deadline) {
      await sub.next((m) => m.type === 'event', deadline - Date.now()).then((m) => {
        if (m.type === 'event') {
          const id = decodeCommitEnvelope(m.commit).id;
          if (received.has(id)) duplicates++;
          received.add(id);
        }
      });
      collect();
    }
    assert.equal(received.size, commits.length);
    assert.equal(duplicates, 0, 'the replay was not forwarded');
    assert.match(broker.stderr(), /refused \(bad-signature\)/);
    assert.equal(broker.proc.exitCode, null, 'the broker is still running');
  });
});
