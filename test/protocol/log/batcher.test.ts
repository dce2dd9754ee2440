import assert from 'node:assert/strict';
import { CommitBatcher } from '../../../protocol/src/log/batcher.js';

describe('log/CommitBatcher', () => {
  it('closes a batch maxDelayMs after its first op, whatever comes later', () => {
    const b = new CommitBatcher<string>({ maxDelayMs: 40 });
    assert.equal(b.due(0), false);
    assert.equal(b.push('a', 100), 140);
    assert.equal(b.push('b', 130), 140);
    assert.equal(b.due(139), false);
    assert.equal(b.due(140), true);
    assert.deepEqual(b.take(), ['a', 'b']);
    assert.equal(b.due(1000), false);
    assert.equal(b.push('c', 1000), 1040);
  });

  it('closes at once when maxOps is reached', () => {
    const b = new CommitBatcher<number>({ maxDelayMs: 40, maxOps: 3 });
    b.push(1, 0);
    b.push(2, 1);
    assert.equal(b.due(2), false);
    assert.equal(b.push(3, 2), 0);
    assert.equal(b.due(2), true);
    assert.equal(b.take().length, 3);
  });
});
