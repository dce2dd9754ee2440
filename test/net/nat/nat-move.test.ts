/**
 * Issue 19, test 4: a teammate whose address changes. Alice and Bob co-edit directly
 * (WebRTC through their NATs, as in nat-peers.test.ts) or through the broker's relay; then Alice's home moves behind
 * another NAT router (netns.ts moveHome(): her link to her router goes, a new one to router
 * C comes up, with a new private and public address), as a laptop carried from home to a
 * café. Her connections through the old router hear nothing more. Edits typed on both
 * sides during the move and after it must reach both folders, and the two must find each
 * other again: Alice redials the broker from her new address, reserves a relay slot again,
 * and they connect again as before (directly by WebRTC; or, without WebRTC, through the
 * relay), over which the later edits travel.
 */
import assert from 'node:assert/strict';
import { append, waitConverged } from '../peer-procs.js';
import { CONVERGE_MS, editAndConverge, logs, natSuite, startPair, waitConnected, type How } from './nat-pair.js';

const CASES: ReadonlyArray<{ readonly how: How; readonly label: string; readonly args: string[] }> = [
  { how: 'direct', label: 'connected directly (WebRTC)', args: [] },
  // Without WebRTC the path between them is the broker's relay: the broker's connection to
  // Alice's old address is dead, and Bob's relayed connection must reach her new one.
  { how: 'relayed', label: 'relayed (no WebRTC)', args: ['--no-webrtc'] },
];

for (const c of CASES) {
  describe(`net/nat move, ${c.label}: a teammate whose home moves behind another NAT reconnects without losing edits (issue 19)`, function () {
    this.timeout(300_000);
    const s = natSuite(`nat-move-${c.how}`, { spareRouter: {} });

    it(`edits typed during and after the move reach both sides; they are ${c.how} again`, async () => {
      const p = await startPair(s, 'move', c.args);
      await waitConnected(p, c.how, s.brokerKey());
      await editAndConverge(p, 'before the move');
      const oldPublic = s.topology().homeA.router.address;
      const outBefore = p.a.out.length;
      const t0 = Date.now();
      const moved = await s.topology().moveHome('homeA');
      assert.notEqual(moved.router.address, oldPublic);
      // Typed while Alice's old connections are dead and before any new one: kept, then sent.
      append(p.alice, 'notes.md', 'from alice during the move\n');
      append(p.bob, 'notes.md', 'from bob during the move\n');
      const both = (f: Map<string, string>): boolean => (f.get('notes.md') ?? '').includes('from alice during the move') && (f.get('notes.md') ?? '').includes('from bob during the move');
      await waitConverged([p.alice, p.bob], 3 * CONVERGE_MS, both, [p.a, p.b]);
      const converged = Date.now() - t0;
      // Alice reached the broker again from her new address, and took a relay slot there again.
      const since = (): string => p.a.out.slice(outBefore);
      assert.match(since(), /^connected to broker /m, `Alice did not reconnect to the broker:\n${since().slice(-3000)}`);
      assert.match(since(), /^reserved a relay slot on broker /m, `Alice reserved no relay slot again:\n${since().slice(-3000)}`);
      await waitConnected(p, c.how, s.brokerKey());
      // The later edits travel on the teammates' new connection (editAndConverge checks the link).
      await editAndConverge(p, 'after the move');
      const again = Date.now() - t0;
      logs(p);
      console.log(`      after the move: edits converged in ${converged} ms; ${c.how} again, with edits over it, within ${again} ms`);
    });
  });
}
