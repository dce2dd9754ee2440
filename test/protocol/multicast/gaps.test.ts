/** GapTracker: which neighbour a missing commit is asked of, and when. */
import assert from 'node:assert/strict';
import type { CommitId } from '../../../protocol/src/log/ids.js';
import { GapTracker } from '../../../protocol/src/multicast/gaps.js';

const id = (c: string): CommitId => c.repeat(64) as CommitId;

describe('multicast/gaps', () => {
  it('a lone gap asks each neighbour in turn, not the same one for ever', () => {
    // Regression (found by the simulator): a cursor shared by all gaps moved once per
    // call, and `asked` once per request, so a lone gap with two neighbours always went
    // to the same one, which lacked the commit.
    const gaps = new GapTracker({ gapDelayMs: 0, wantTimeoutMs: 100, maxTimeoutMs: 100 });
    gaps.update([id('x')], 0, () => undefined);
    const targets: string[] = [];
    for (let now = 0; targets.length < 6; now += 100) for (const req of gaps.due(now, ['broker', 'peer'], 64)) targets.push(req.to);
    assert.deepEqual(new Set(targets), new Set(['broker', 'peer']));
    for (let i = 1; i < targets.length; i++) assert.notEqual(targets[i], targets[i - 1], `asked ${targets[i]} twice in a row: ${targets.join(',')}`);
  });

  it('several gaps start with different neighbours', () => {
    const gaps = new GapTracker({ gapDelayMs: 0 });
    gaps.update([id('a'), id('b'), id('c')], 0, () => undefined);
    const first = gaps.due(0, ['n1', 'n2', 'n3'], 64).map((r) => r.to);
    assert.equal(new Set(first).size, 3);
  });
});
