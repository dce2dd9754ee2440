/**
 * Offline divergence: two replicas each make 10,000 commits while apart, then catch
 * up through the sync protocol: identical afterwards, in a few round trips.
 */
import assert from 'node:assert/strict';
import { runSyncToCompletion } from '../../../protocol/src/sync/index.js';
import { makeTeam } from './harness.js';

describe('share/offline divergence', () => {
  it('two replicas with 10,000 commits each apart end identical after sync', function () {
    this.timeout(300_000);
    const { net, owner, replicas } = makeTeam([['bob', 'writer']]);
    const bob = replicas.get('bob')!;
    const file = owner.createFile('shared.md', 'text', 'start\n');
    net.publish(owner.flush());
    net.deliverAll(bob);
    const N = Number(process.env.WEFT_DIVERGE ?? 10_000);
    for (let i = 0; i < N; i++) {
      owner.edit(file, owner.text(file).length, 0, i % 50 === 49 ? '\n' : 'a');
      owner.flush();
      bob.edit(file, 0, 0, i % 50 === 49 ? '\n' : 'b');
      bob.flush();
    }
    assert.notEqual(owner.text(file), bob.text(file));
    const result = runSyncToCompletion(owner, bob);
    assert.equal(result.done, true);
    assert.deepEqual(owner.heads(), bob.heads());
    assert.equal(owner.text(file), bob.text(file));
    assert.equal(owner.text(file).length, 'start\n'.length + 2 * N);
    assert.ok(result.roundTrips <= 3, `round trips ${result.roundTrips}`);
    console.log(`      ${N}+${N} commits: ${result.roundTrips} round trips, ${result.bytesAtoB + result.bytesBtoA} bytes`);
  });
});
