/**
 * A broker slows an honest publisher instead of cutting it off: a member that publishes
 * faster than the broker can make events durable waits on the publish window (the
 * broker stops reading, the transport pushes back), and every event is acked and
 * stored; a client that floods what takes no window is cut off with its reason. Run on
 * a busy machine: a CPU burner shares the cores with the broker and the clients.
 */
import assert from 'node:assert/strict';
import { decodeCommitEnvelope } from '../../protocol/src/log/commit.js';
import { ClientLog, makeStream } from '../protocol/broker/helpers.js';
import { WireClient, killAll, removeDir, startBroker, startCpuBurner, tempDir, type BrokerProcess, type CpuBurner } from './broker-helpers.js';

/** Waits (with a deadline) until the broker's log shows `pattern`: its stderr arrives after the client saw the effect. */
async function waitForLog(broker: BrokerProcess, pattern: RegExp, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(broker.stderr())) {
    if (Date.now() > deadline) assert.fail(`the broker never logged ${pattern}:\n${broker.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('net/broker backpressure', function () {
  this.timeout(300_000);
  const dirs: string[] = [];
  const clients: WireClient[] = [];
  let burner: CpuBurner | undefined;
  before(() => {
    burner = startCpuBurner();
  });
  after(async () => {
    burner?.stop();
    killAll();
    await Promise.all(clients.map((c) => c.close()));
    for (const d of dirs) removeDir(d);
  });

  it('a publisher sending 20,000 events as fast as it can gets every one acked and stored, none refused', async () => {
    const dir = tempDir('broker-burst');
    dirs.push(dir);
    const stream = makeStream(4, 'burst.md');
    const commits = [...stream.commits, ...stream.more(20_000 - stream.commits.length)];
    const broker = await startBroker(dir);
    const pub = await WireClient.connect(broker.tcp);
    clients.push(pub);
    const sending = (async () => {
      for (const c of commits) await pub.send({ type: 'event', commit: c });
    })();
    const acked = new Set<string>();
    while (acked.size < commits.length) {
      const m = await pub.next((x) => x.type === 'ack' || x.type === 'error', 60_000);
      assert.ok(m.type === 'ack', `the broker refused an honest publisher: ${m.type === 'error' ? `${m.code}: ${m.reason}` : m.type}`);
      acked.add(m.id);
    }
    await sending;
    assert.equal(pub.closed, false, 'the publisher is still connected');
    assert.deepEqual(pub.drain((m) => m.type === 'error'), []);
    await pub.close();

    const reader = await WireClient.connect(broker.tcp);
    clients.push(reader);
    const log = new ClientLog(stream.topic);
    await reader.sync(stream.topic, log, 120_000);
    assert.equal(log.index.size, commits.length, 'the broker stored every event');
    assert.ok(log.index.has(decodeCommitEnvelope(commits.at(-1)!).id));
    await reader.close();
    assert.doesNotMatch(broker.stderr(), /refused|closing connection/);
    assert.equal(await broker.kill('SIGTERM'), 0);
  });

  it('cuts off a client that floods events taking no window (duplicates), with its reason, while an honest publisher is served', async () => {
    const dir = tempDir('broker-flood');
    dirs.push(dir);
    const stream = makeStream(4, 'flood.md');
    const broker = await startBroker(dir);
    const honest = await WireClient.connect(broker.tcp);
    const flooder = await WireClient.connect(broker.tcp);
    clients.push(honest, flooder);
    await flooder.send({ type: 'event', commit: stream.commits[0]! });
    await flooder.next((m) => m.type === 'ack');
    // The same stored event, over and over: nothing to store, so no window paces it.
    const flooding = (async () => {
      for (let i = 0; i < 100_000 && !flooder.closed; i++) await flooder.send({ type: 'event', commit: stream.commits[0]! }).catch(() => undefined);
    })();
    const more = stream.more(200);
    for (const c of more) await honest.send({ type: 'event', commit: c });
    const acked = new Set<string>();
    while (acked.size < more.length) {
      const m = await honest.next((x) => x.type === 'ack' || x.type === 'error', 60_000);
      assert.ok(m.type === 'ack', 'the honest publisher was refused');
      acked.add(m.id);
    }
    await flooding;
    assert.equal(flooder.closed, true, 'the flooding client was cut off');
    assert.ok(flooder.drain((m) => m.type === 'error' && m.code === 'rate-limited').length > 0, 'it was told why (rate-limited)');
    await waitForLog(broker, /closing connection: too many refused messages \(last: rate limit\)/);
    assert.equal(honest.closed, false);
    assert.equal(await broker.kill('SIGTERM'), 0);
  });
});
