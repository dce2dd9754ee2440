/**
 * Two teammates behind different NATs (issue 19): Alice and Bob run headless `weft peer
 * run`, each in a home namespace behind its own NAT router (tools/netns/), and a `weft broker`
 * runs in the public namespace. Neither home can be dialled from outside, so each peer
 * reserves a slot on the broker's relay (after a RELAYREQ: the broker relays only for
 * members of topics it carries), puts its addresses, relayed ones included, in its signed
 * presence, and the peer with the smaller key dials the other:
 * - by WebRTC, signalled through the relay, with the broker answering STUN: a direct UDP
 *   path through both NATs, over which they keep co-editing when the broker stops;
 * - without WebRTC (--no-webrtc), behind NATs that give every flow a random port (no
 *   hole can be punched), or when one NAT drops all UDP, through the relay itself (TCP);
 * - relayed at first because UDP is blocked, then direct once it gets through: the dialler
 *   tries WebRTC again while relayed, and the relayed connection closes.
 * `weft peer status` on each side says how the teammate is connected, and `weft broker
 * status` counts the relay slots. Every test checks that the edits travel peer-to-peer
 * (WEFT_TRACE: commits arrive on the teammate's link), not only through the broker.
 * WEFT_TEST_NAT_LOGS=1 prints the peers' logs; WEFT_TEST_PEER_DEBUG=... sets their DEBUG.
 */
import assert from 'node:assert/strict';
import { brokerRelayLine, editAndConverge, logs, natSuite, startPair, waitConnected } from './nat-pair.js';
import { waitUntil } from '../peer-procs.js';

describe('net/nat peers: two teammates behind different NATs co-edit through a broker (issue 19)', function () {
  this.timeout(240_000);
  const s = natSuite('nat-peers', {});

  it('without WebRTC: each reserves a relay slot, they connect through the relay, edit on both sides and converge', async () => {
    const p = await startPair(s, 'relay', ['--no-webrtc']);
    const status = await waitConnected(p, 'relayed', s.brokerKey());
    const connected = Date.now() - p.t0;
    for (const out of status) assert.match(out, /address: +\S+\/p2p-circuit\/p2p\//, `the peer lists its relayed address:\n${out}`);
    assert.ok([p.a, p.b].some((proc) => /connected to teammate \S+ \(relayed through broker/.test(proc.out)), 'one of them dialled the other through the relay');
    await editAndConverge(p, 'relayed');
    // status.json is rewritten every 2 s: wait for the one written since they connected.
    let relay = await brokerRelayLine(s.brokerData());
    await waitUntil(async () => (relay = await brokerRelayLine(s.brokerData()))[2] !== '0', 10_000, () => `no relayed connection counted: ${relay[0]}`, 250);
    assert.equal(relay[1], '2', 'both peers hold a slot');
    assert.equal(relay[4], '0', 'nobody was refused');
    logs(p);
    await Promise.all([p.a.stop(), p.b.stop()]);
    console.log(`      connected through the relay ${connected} ms after start; ${relay[0]}`);
  });

  it('with WebRTC (signalled through the relay, STUN at the broker): a direct connection, which outlives the broker', async () => {
    const p = await startPair(s, 'webrtc');
    const status = await waitConnected(p, 'direct', s.brokerKey());
    const connected = Date.now() - p.t0;
    for (const out of status) assert.match(out, /address: +\S+\/p2p-circuit\/webrtc\/p2p\//, `the peer lists its WebRTC address:\n${out}`);
    for (const out of status) assert.match(out, /teammate: +\S+ \(weft1\S+\): direct \(WebRTC through the NATs\)$/m, `the status says the connection is WebRTC:\n${out}`);
    assert.ok([p.a, p.b].some((proc) => /connected to teammate \S+ \(direct, WebRTC\)/.test(proc.out)), 'one of them dialled the other by WebRTC');
    await editAndConverge(p, 'direct');
    // Once direct, the broker carries nothing between them: no relayed connection is open
    // through it (the one that carried the WebRTC offer closes), only each peer's own.
    let relay = await brokerRelayLine(s.brokerData());
    await waitUntil(async () => (relay = await brokerRelayLine(s.brokerData()))[2] === '0' && relay[1] === '2', 15_000, () => `relayed connections still open: ${relay[0]}`, 250);
    await editAndConverge(p, 'direct, with no relayed connection');
    assert.equal((await brokerRelayLine(s.brokerData()))[2], '0', 'editing opened no relayed connection');
    // The broker stops; the teammates keep co-editing over their own connection.
    await s.broker().kill();
    await editAndConverge(p, 'after the broker');
    logs(p);
    console.log(`      direct (WebRTC through both NATs) ${connected} ms after start; co-editing went on after the broker stopped`);
  });
});

describe('net/nat peers: behind NATs that give every flow a random port, teammates stay relayed (issue 19)', function () {
  this.timeout(240_000);
  const s = natSuite('nat-peers-random', { homeA: { randomPorts: true }, homeB: { randomPorts: true } });

  it('WebRTC cannot punch through; they connect through the relay and converge', async () => {
    const p = await startPair(s, 'random');
    await waitConnected(p, 'relayed', s.brokerKey());
    const connected = Date.now() - p.t0;
    assert.ok([p.a, p.b].some((proc) => /no WebRTC connection to the teammate/.test(proc.out)), 'WebRTC was tried first');
    await editAndConverge(p, 'random ports');
    logs(p);
    console.log(`      relayed ${connected} ms after start (WebRTC tried and failed first)`);
  });
});

describe('net/nat peers: one home\'s NAT drops all UDP: teammates use the TCP path, through the relay, until UDP gets through (issue 19)', function () {
  this.timeout(240_000);
  const s = natSuite('nat-peers-no-udp', { homeA: { dropUdp: true } });

  it('WebRTC gets nowhere; they connect through the relay over TCP and converge', async () => {
    const p = await startPair(s, 'noudp');
    await waitConnected(p, 'relayed', s.brokerKey());
    const connected = Date.now() - p.t0;
    await editAndConverge(p, 'no udp');
    logs(p);
    console.log(`      relayed over TCP ${connected} ms after start`);
  });

  // The same homes, a new pair: relayed while UDP is blocked, then UDP gets through.
  it('when UDP is let through, relayed teammates become direct by WebRTC, and the relayed connection closes', async () => {
    const p = await startPair(s, 'upgrade');
    await waitConnected(p, 'relayed', s.brokerKey());
    await editAndConverge(p, 'relayed at first');
    const t0 = Date.now();
    await s.topology().allowUdp('homeA');
    // The dialler tries WebRTC again while relayed (after 2 s, backing off).
    const status = await waitConnected(p, 'direct', s.brokerKey());
    const upgraded = Date.now() - t0;
    for (const out of status) assert.match(out, /: direct \(WebRTC through the NATs\)$/m, `not by WebRTC:\n${out}`);
    assert.ok([p.a, p.b].some((proc) => /reached by WebRTC: leaving the relay/.test(proc.out)), 'the relayed connection was upgraded');
    let relay = await brokerRelayLine(s.brokerData());
    await waitUntil(async () => (relay = await brokerRelayLine(s.brokerData()))[2] === '0', 15_000, () => `relayed connections still open: ${relay[0]}`, 250);
    await editAndConverge(p, 'direct after the relay');
    logs(p);
    console.log(`      direct ${upgraded} ms after UDP got through`);
  });
});

