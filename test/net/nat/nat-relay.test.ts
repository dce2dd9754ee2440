/**
 * The broker as a circuit relay (issue 19): a `weft broker` in the public namespace, a
 * plain libp2p node in each home (relay-client.ts), each home behind its own NAT. The
 * node in home A cannot be dialled (netns.ts: nothing gets into a home unasked), so it
 * reserves a slot on the broker; the node in home B dials it through the broker at
 * `<broker>/p2p-circuit/p2p/<A>` and they exchange a frame. The broker's relay limits
 * are its own: off with --no-relay, and a relayed connection past its byte limit is cut.
 * The broker lets only peers it knows reserve: a plain libp2p node sends no RELAYREQ, so
 * the node in home A is listed with --relay-allow, and one that is not is refused.
 */
import assert from 'node:assert/strict';
import { WEFT, removeDir, tempDir } from '../broker-helpers.js';
import { publicKeyToText, randomBytes, signingKeyPairFromSeed, toHex } from '../../../protocol/src/crypto/index.js';
import type { NetnsProcess } from '../../../tools/netns/netns-process.js';
import { NatTopology } from '../../../tools/netns/netns.js';
import { helperScript, skipWithoutNat } from './nat-skip.js';

const CLIENT = helperScript('relay-client');
const EVENT_MS = 30_000;
/** The identity of the node in home A, which the brokers allow to reserve (--relay-allow). */
const SEED_A = randomBytes(32);
const ALLOW_A = ['--relay-allow', publicKeyToText(signingKeyPairFromSeed(SEED_A).publicKey)];

describe('net/nat relay: the broker relays between two homes behind NATs (issue 19)', function () {
  this.timeout(90_000);
  let topology: NatTopology;
  const dirs: string[] = [];

  before(async function () {
    await skipWithoutNat(this);
    topology = await NatTopology.create();
  });

  after(async () => {
    await topology?.destroy();
    for (const dir of dirs) removeDir(dir);
  });

  /** A `weft broker` in the public namespace on `port`; resolves with it and its TCP address. */
  async function startBroker(port: number, args: string[] = []): Promise<{ proc: NetnsProcess; addr: string }> {
    const dir = tempDir('nat-broker');
    dirs.push(dir);
    const listen = `/ip4/${topology.publicHost.address}/tcp/${port}`;
    const proc = topology.spawn(topology.publicHost, process.execPath, [WEFT, 'broker', '--data', dir, '--listen', listen, ...args]);
    const addr = await proc.waitForLine((line) => /^listening (\S+)$/.exec(line)?.[1], EVENT_MS, 'the broker listening');
    return { proc, addr };
  }

  function client(home: 'homeA' | 'homeB', ...args: string[]): NetnsProcess {
    return topology.spawn(topology[home], process.execPath, [CLIENT, ...args], home === 'homeA' ? { WEFT_RELAY_CLIENT_SEED: toHex(SEED_A) } : {});
  }

  it('home A reserves a slot through its NAT; home B dials it through the relay and they exchange a frame', async () => {
    const t0 = Date.now();
    const broker = await startBroker(4001, ALLOW_A);
    const started = Date.now() - t0;
    const a = client('homeA', 'listen', broker.addr);
    const reserved = await a.waitFor('reserved', EVENT_MS);
    const circuit = `${broker.addr}/p2p-circuit/p2p/${String(reserved.peerId)}`;
    assert.ok((reserved.addrs as string[]).includes(circuit), `A advertises ${JSON.stringify(reserved.addrs)}, not ${circuit}`);

    const b = client('homeB', 'dial', circuit, 'from-b');
    const reply = await b.waitFor('reply', EVENT_MS);
    assert.equal(reply.text, 'reply:from-b');
    assert.match(String(reply.remoteAddr), /\/p2p-circuit/, 'B reached A through the relay');
    assert.equal(reply.limited, true, 'a relayed connection carries the relay limits');
    const frame = await a.waitFor('frame', EVENT_MS);
    assert.equal(frame.text, 'hello:from-b');
    assert.match(String(frame.remoteAddr), /\/p2p-circuit/);
    console.log(`      broker up in ${started} ms; A reserved in ${String(reserved.ms)} ms (from its node's creation); B: relayed connection open in ${String(reply.openMs)} ms, frame answered after ${String(reply.ms)} ms`);
  });

  it('a broker started with --no-relay refuses the reservation', async () => {
    const broker = await startBroker(4002, ['--no-relay']);
    const a = client('homeA', 'listen', broker.addr);
    const failed = await a.waitFor('failed', EVENT_MS);
    const connected = a.events().find((e) => e.event === 'connected');
    assert.equal(connected?.remoteAddr, broker.addr, 'A reached the broker (the path is fine; the broker said no)');
    assert.ok(a.events().every((e) => e.event !== 'reserved'));
    const refusal = /could not negotiate \/libp2p\/circuit\/relay\/0\.2\.0\/hop/.exec(String(failed.error));
    assert.ok(refusal, `A failed for another reason: ${String(failed.error)}`);
    console.log(`      A: ${refusal[0]}`);
  });

  it('a peer neither allowlisted nor sending a RELAYREQ is refused a slot, and the broker logs why', async () => {
    const broker = await startBroker(4004);
    const b = client('homeB', 'listen', broker.addr);
    const failed = await b.waitFor('failed', EVENT_MS);
    assert.match(String(failed.error), /PERMISSION_DENIED|permission|reservation failed/i, `B failed for another reason: ${String(failed.error)}`);
    const logged = await broker.proc.waitForStderr(/relay: refused a reservation for \S+: (.*)/, EVENT_MS);
    assert.match(logged, /no RELAYREQ/);
    console.log(`      B: ${String(failed.error).slice(0, 160)}; broker: ${logged}`);
  });

  it('a relayed connection is cut past the broker byte limit (--relay-connection-bytes)', async () => {
    const limit = 64 * 1024;
    const broker = await startBroker(4003, ['--relay-connection-bytes', String(limit), ...ALLOW_A]);
    const a = client('homeA', 'listen', broker.addr);
    const reserved = await a.waitFor('reserved', EVENT_MS);
    const total = 4 * 1024 * 1024;
    const b = client('homeB', 'bulk', `${broker.addr}/p2p-circuit/p2p/${String(reserved.peerId)}`, String(total));
    // B cannot hand over 4 MiB before the relay cuts: the relayed connection's flow control
    // (yamux windows) holds it to what A has read, well below that.
    const cut = await b.waitFor('cut', EVENT_MS);
    const closed = await a.waitFor('closed', EVENT_MS);
    assert.ok(Number(closed.received) < limit, `A received ${String(closed.received)} bytes through a relay limited to ${limit}`);
    assert.ok(b.events().every((e) => e.event !== 'sent'), 'B sent everything');
    console.log(`      A received ${String(closed.received)} of ${total} bytes, then its channel ended (${String(closed.reason ?? 'no reason given')}); B was cut after handing over ${String(cut.bytes)}: ${String(cut.error)}`);
  });
});
