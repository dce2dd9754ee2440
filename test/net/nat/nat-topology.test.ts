/**
 * The NAT namespaces (netns.ts) are what they claim, seen with Node sockets: a home
 * reaches the public side, which sees the home's NAT router and not the home; nothing
 * reaches a home from outside; UDP-dropping and random-port NATs do what they say.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import type { NetnsProcess, ProcessEvent } from '../../../tools/netns/netns-process.js';
import { NETNS_PREFIX, NatTopology, removeLeftoverNamespaces, type Host } from '../../../tools/netns/netns.js';
import { helperScript, skipWithoutNat } from './nat-skip.js';

const PROBE = helperScript('socket-probe');
const EVENT_MS = 15_000;

/** A TCP server in `host` on `port`, once it listens. */
async function tcpServer(topology: NatTopology, host: Host, port: number): Promise<NetnsProcess> {
  const server = topology.spawn(host, process.execPath, [PROBE, 'tcp-server', host.address, String(port)]);
  await server.waitFor('listening', EVENT_MS);
  return server;
}

/** A TCP connection from `from` to `to:port`; its outcome (reply or failed) and the local side. */
async function tcpConnect(topology: NatTopology, from: Host, to: string, port: number, localPort?: number): Promise<{ outcome: ProcessEvent; connected?: ProcessEvent }> {
  const args = [PROBE, 'tcp-client', to, String(port), '4000', ...(localPort !== undefined ? [String(localPort)] : [])];
  const client = topology.spawn(from, process.execPath, args);
  await client.exited;
  const events = client.events();
  const outcome = events.find((e) => e.event === 'reply' || e.event === 'failed');
  assert.ok(outcome, `the client reported nothing\n${client.describe()}`);
  const connected = events.find((e) => e.event === 'connected');
  return { outcome, ...(connected !== undefined ? { connected } : {}) };
}

function accepted(server: NetnsProcess): ProcessEvent[] {
  return server.events().filter((e) => e.event === 'accepted');
}

describe('net/nat topology: homes behind NATs, in network namespaces (issue 19)', function () {
  this.timeout(60_000);

  describe('two plain NATs', function () {
    let topology: NatTopology;

    before(async function () {
      await skipWithoutNat(this);
      const t0 = Date.now();
      topology = await NatTopology.create();
      console.log(`      built ${topology.namespaces.length} namespaces in ${Date.now() - t0} ms`);
    });

    after(async () => {
      await topology?.destroy();
    });

    it('a home opens a TCP connection to the public side, which sees the NAT router, not the home', async () => {
      const server = await tcpServer(topology, topology.publicHost, 7001);
      const { outcome, connected } = await tcpConnect(topology, topology.homeA, topology.publicHost.address, 7001, 41001);
      assert.equal(outcome.event, 'reply', JSON.stringify(outcome));
      assert.equal(outcome.text, 'ok');
      assert.equal(connected?.localAddress, topology.homeA.address, 'the home sends from its private address');
      await server.waitFor('accepted', EVENT_MS);
      const seen = accepted(server);
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.remoteAddress, topology.homeA.router.address, 'the public side sees the NAT router');
      // a plain MASQUERADE keeps the source port when it can: the port a peer would punch towards is predictable
      assert.equal(seen[0]!.remotePort, 41001);

      const fromB = await tcpConnect(topology, topology.homeB, topology.publicHost.address, 7001);
      assert.equal(fromB.outcome.event, 'reply', JSON.stringify(fromB.outcome));
      assert.equal(accepted(server)[1]?.remoteAddress, topology.homeB.router.address);
    });

    it("home A cannot reach home B's private address, nor B through B's router", async () => {
      const server = await tcpServer(topology, topology.homeB, 7002);
      // the server is up: its own router reaches it
      const control = await tcpConnect(topology, topology.homeB.router, topology.homeB.address, 7002);
      assert.equal(control.outcome.event, 'reply', JSON.stringify(control.outcome));

      const direct = await tcpConnect(topology, topology.homeA, topology.homeB.address, 7002);
      assert.equal(direct.outcome.event, 'failed', `home A reached home B's private address: ${JSON.stringify(direct.outcome)}`);
      const throughNat = await tcpConnect(topology, topology.homeA, topology.homeB.router.address, 7002);
      assert.equal(throughNat.outcome.event, 'failed', `home A reached home B through its NAT unasked: ${JSON.stringify(throughNat.outcome)}`);
      const fromPublic = await tcpConnect(topology, topology.publicHost, topology.homeB.address, 7002);
      assert.equal(fromPublic.outcome.event, 'failed', `the public side reached home B: ${JSON.stringify(fromPublic.outcome)}`);
      assert.equal(accepted(server).length, 1, 'only the control connection arrived');
      console.log(`      home A -> ${topology.homeB.address}: ${String(direct.outcome.code)}; -> ${topology.homeB.router.address}: ${String(throughNat.outcome.code)}; public -> home B: ${String(fromPublic.outcome.code)}`);
    });
  });

  describe('a NAT that drops UDP (home A) and one with random ports (home B)', function () {
    let topology: NatTopology;

    before(async function () {
      await skipWithoutNat(this);
      topology = await NatTopology.create({ homeA: { dropUdp: true }, homeB: { randomPorts: true } });
    });

    after(async () => {
      await topology?.destroy();
    });

    it('a UDP datagram from home A does not get through while TCP does', async () => {
      const udp = topology.spawn(topology.publicHost, process.execPath, [PROBE, 'udp-server', topology.publicHost.address, '7003']);
      await udp.waitFor('listening', EVENT_MS);
      const fromA = topology.spawn(topology.homeA, process.execPath, [PROBE, 'udp-client', topology.publicHost.address, '7003', 'from-a']);
      await fromA.waitFor('sent', EVENT_MS);
      // Home B's datagrams, sent after A's over as short a path, arriving shows that A's
      // had their chance: an event to await rather than a pause.
      const fromB = topology.spawn(topology.homeB, process.execPath, [PROBE, 'udp-client', topology.publicHost.address, '7003', 'from-b']);
      await fromB.waitFor('sent', EVENT_MS);
      await udp.waitForLine((line) => (line.includes('from-b') ? true : undefined), EVENT_MS, "home B's datagram");
      const texts = udp.events().filter((e) => e.event === 'datagram').map((e) => e.text);
      assert.ok(!texts.includes('from-a'), `a datagram from home A got through: ${JSON.stringify(texts)}`);

      const server = await tcpServer(topology, topology.publicHost, 7004);
      const tcp = await tcpConnect(topology, topology.homeA, topology.publicHost.address, 7004);
      assert.equal(tcp.outcome.event, 'reply', `TCP from home A: ${JSON.stringify(tcp.outcome)}`);
      assert.equal(accepted(server)[0]?.remoteAddress, topology.homeA.router.address);
    });

    it('the random-port NAT gives each flow an unpredictable public port', async () => {
      const server = await tcpServer(topology, topology.publicHost, 7005);
      const localPorts = [42001, 42002, 42003];
      for (const port of localPorts) {
        const { outcome } = await tcpConnect(topology, topology.homeB, topology.publicHost.address, 7005, port);
        assert.equal(outcome.event, 'reply', JSON.stringify(outcome));
      }
      const seen = accepted(server);
      assert.equal(seen.length, localPorts.length);
      assert.ok(seen.every((e) => e.remoteAddress === topology.homeB.router.address));
      const kept = seen.filter((e, i) => e.remotePort === localPorts[i]).length;
      // each port is kept by chance with probability ~1/64k: all three at once never
      assert.ok(kept < localPorts.length, `the NAT kept the source ports: ${JSON.stringify(seen)}`);
      console.log(`      local ports ${localPorts.join(', ')} left as ${seen.map((e) => String(e.remotePort)).join(', ')}`);
    });
  });

  describe('a home moved behind another NAT (spare router C)', function () {
    let topology: NatTopology;

    before(async function () {
      await skipWithoutNat(this);
      topology = await NatTopology.create({ spareRouter: {} });
    });

    after(async () => {
      await topology?.destroy();
    });

    it('the home gets a new private and public address; its old router no longer reaches it', async () => {
      const server = await tcpServer(topology, topology.publicHost, 7007);
      const before = await tcpConnect(topology, topology.homeA, topology.publicHost.address, 7007);
      assert.equal(before.outcome.event, 'reply', JSON.stringify(before.outcome));
      const oldRouter = topology.homeA.router;
      const moved = await topology.moveHome('homeA');
      assert.equal(topology.homeA, moved);
      assert.notEqual(moved.router.address, oldRouter.address);
      const after = await tcpConnect(topology, topology.homeA, topology.publicHost.address, 7007);
      assert.equal(after.outcome.event, 'reply', JSON.stringify(after.outcome));
      assert.equal(after.connected?.localAddress, moved.address, 'the home sends from its new private address');
      await server.waitForLine(() => (accepted(server).length === 2 ? true : undefined), EVENT_MS, 'the second connection accepted');
      assert.deepEqual(accepted(server).map((e) => e.remoteAddress), [oldRouter.address, moved.router.address], 'the public side saw the old NAT, then the new one');
      // The old router has no way to the home any more (its lan went with the home's link).
      const home = await tcpServer(topology, topology.homeA, 7008);
      const fromOld = await tcpConnect(topology, oldRouter, '10.0.1.2', 7008);
      assert.equal(fromOld.outcome.event, 'failed', JSON.stringify(fromOld.outcome));
      assert.equal(accepted(home).length, 0);
    });
  });

  describe('cleanup', function () {
    before(async function () {
      await skipWithoutNat(this);
    });

    const namespaces = (): string[] => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);

    it('destroy() removes the namespaces and kills what ran inside', async () => {
      const topology = await NatTopology.create();
      const server = topology.spawn(topology.publicHost, process.execPath, [PROBE, 'tcp-server', topology.publicHost.address, '7006']);
      await server.waitFor('listening', EVENT_MS);
      await topology.destroy();
      assert.notEqual(server.proc.signalCode ?? server.proc.exitCode, null, 'the server still runs');
      const left = namespaces().filter((n) => topology.namespaces.includes(n));
      assert.deepEqual(left, []);
    });

    it('the namespaces of a run that was killed are removed by the next run', async () => {
      const gone = spawn(process.execPath, ['-e', '0']);
      await new Promise((resolve) => gone.on('exit', resolve));
      const leftover = `${NETNS_PREFIX}${gone.pid}-dead00-pub`;
      execFileSync('ip', ['netns', 'add', leftover]);
      try {
        const removed = await removeLeftoverNamespaces();
        assert.ok(removed.includes(leftover), `not removed: ${JSON.stringify(removed)}`);
        assert.ok(!namespaces().includes(leftover));
      } finally {
        if (namespaces().includes(leftover)) execFileSync('ip', ['netns', 'del', leftover]);
      }
    });
  });
});
