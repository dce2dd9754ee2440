/**
 * LAN discovery by mDNS between two processes that know nothing of each other.
 *
 * mDNS binds 0.0.0.0:5353 and multicasts on the default interface, which would
 * put test traffic on the host's network. So the two processes run inside a
 * network namespace this test creates (root and iproute2 needed, else the test
 * is skipped): it has only `lo`, with multicast on and a 224.0.0.0/4 route, so
 * every packet stays inside the namespace.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { PeerProcess } from './child.js';
import { hex, seedFor } from './helpers.js';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

function makeNamespace(name: string): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  try {
    ip('netns', 'add', name);
    ip('-n', name, 'link', 'set', 'lo', 'up');
    ip('-n', name, 'link', 'set', 'lo', 'multicast', 'on');
    ip('-n', name, 'route', 'add', '224.0.0.0/4', 'dev', 'lo');
    return undefined;
  } catch (err) {
    try {
      ip('netns', 'del', name);
    } catch {
      // not created
    }
    return `cannot create a network namespace: ${String(err).split('\n')[0]}`;
  }
}

describe('transport/libp2p LAN discovery (mDNS, two processes)', function () {
  this.timeout(40_000);
  const ns = `weft-mdns-${process.pid}`;
  const children: PeerProcess[] = [];
  let nsReady = false;

  before(function () {
    const why = makeNamespace(ns);
    if (why !== undefined) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    nsReady = true;
  });
  after(() => {
    for (const c of children.splice(0)) c.kill();
    if (nsReady) ip('netns', 'del', ns);
  });

  it('two peers with no configured addresses find each other, dial directly and exchange frames', async () => {
    const opts = JSON.stringify({ serviceTag: '_weft-test._udp.local' });
    const seeds = [seedFor('mdns-1'), seedFor('mdns-2')];
    const peers = seeds.map((s) => PeerProcess.spawn(['mdns', hex(s), opts], ['ip', 'netns', 'exec', ns]));
    children.push(...peers);
    const ready = await Promise.all(peers.map((p) => p.waitFor('ready', 15_000)));
    const keys = ready.map((r) => r.key as string);
    assert.notEqual(keys[0], keys[1]);

    const t0 = Date.now();
    for (const [i, p] of peers.entries()) {
      const other = keys[1 - i]!;
      const found = await p.waitFor('discovered', 15_000);
      assert.equal(found.key, other, 'discovery names the other peer by its Ed25519 key');
      assert.match(found.addr as string, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW/);
      const ex = await p.waitFor('exchanged', 15_000);
      assert.equal(ex.key, other, 'the dialled peer proved the discovered key');
      assert.equal(ex.echoed, true);
    }
    console.log(`      discovered and exchanged within ${Date.now() - t0} ms of both being ready`);
    for (const p of peers) assert.equal((await p.stopAndTimeExit()).code, 0);
  });
});
