import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DecodeError } from '../../../protocol/src/codec/errors.js';
import type { CommitId } from '../../../protocol/src/log/ids.js';
import { CommitBloom, SYNC_LIMITS, decodeSyncMessage, encodeSyncMessage, type SyncMessage } from '../../../protocol/src/sync/index.js';

const id = (hex2: string) => hex2.repeat(32) as CommitId;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

const GOLDEN_MESSAGE: SyncMessage = {
  heads: [id('11')],
  answered: 1,
  more: false,
  have: { lastSync: [id('00')], bloom: CommitBloom.build([id('11')], { bitsPerEntry: 10, hashes: 7, maxBytes: 100 }) },
  need: [id('22')],
  commits: [new Uint8Array([1, 2, 3])],
};
// kind 'S', version 1, flags have|need|commits, answered 1, heads [11..], lastSync [00..],
// bloom (10 bits, 7 probes, bits 1 2 3 6 8 -> 4e 01), need [22..], commits [[1 2 3]]
const GOLDEN_HEX =
  '53010701' +
  '01' + '11'.repeat(32) +
  '01' + '00'.repeat(32) +
  '0a074e01' +
  '01' + '22'.repeat(32) +
  '0103010203';

describe('sync/message', () => {
  it('matches the golden byte vector and round-trips', () => {
    const bytes = encodeSyncMessage(GOLDEN_MESSAGE);
    assert.equal(hex(bytes), GOLDEN_HEX);
    const back = decodeSyncMessage(bytes);
    assert.deepEqual(back.heads, GOLDEN_MESSAGE.heads);
    assert.deepEqual(back.need, GOLDEN_MESSAGE.need);
    assert.deepEqual(back.have!.lastSync, GOLDEN_MESSAGE.have!.lastSync);
    assert.ok(back.have!.bloom.has(id('11')));
    assert.deepEqual(back.commits, GOLDEN_MESSAGE.commits);
    assert.equal(hex(encodeSyncMessage(back)), GOLDEN_HEX);
  });

  it('a heads-only message is small', () => {
    const bytes = encodeSyncMessage({ heads: [id('aa')], answered: 0, more: false, commits: [] });
    assert.equal(bytes.length, 2 + 1 + 1 + 1 + 32);
    assert.deepEqual(decodeSyncMessage(bytes), { heads: [id('aa')], answered: 0, more: false, commits: [] });
  });

  it('refuses non-canonical and out-of-range input with DecodeError', () => {
    const cases: Array<[string, string, string]> = [
      ['wrong kind', '4301' + '00' + '00' + '00', 'malformed'],
      ['unknown version', '5302' + '00' + '00' + '00', 'version'],
      ['unknown flag', '5301' + '10' + '00' + '00', 'malformed'],
      ['"more" without commits', '5301' + '08' + '00' + '00', 'malformed'],
      ['trailing byte', '5301' + '00' + '00' + '00' + 'ff', 'malformed'],
      ['heads out of order', '5301' + '00' + '00' + '02' + '22'.repeat(32) + '11'.repeat(32), 'malformed'],
      ['duplicate head', '5301' + '00' + '00' + '02' + '22'.repeat(32) + '22'.repeat(32), 'malformed'],
      ['heads count beyond input', '5301' + '00' + '00' + '05' + '22'.repeat(32), 'truncated'],
      ['heads count beyond limit', '5301' + '00' + '00' + 'ffff01', 'too-large'],
      ['empty need list', '5301' + '02' + '00' + '00' + '00', 'malformed'],
      ['empty commit list', '5301' + '04' + '00' + '00' + '00', 'malformed'],
      ['empty commit', '5301' + '04' + '00' + '00' + '01' + '00' + 'ff', 'malformed'],
      ['bloom with 0 probes', '5301' + '01' + '00' + '00' + '00' + '08' + '00' + 'ff', 'malformed'],
      ['bloom with 33 probes', '5301' + '01' + '00' + '00' + '00' + '08' + '21' + 'ff', 'malformed'],
      ['bloom bits past its end', '5301' + '01' + '00' + '00' + '00' + '0a' + '07' + '00' + '04', 'malformed'],
      ['truncated bloom', '5301' + '01' + '00' + '00' + '00' + '40' + '07' + '00', 'truncated'],
    ];
    for (const [what, input, code] of cases) {
      assert.throws(
        () => decodeSyncMessage(unhex(input)),
        (e: unknown) => e instanceof DecodeError && e.code === code,
        what,
      );
    }
    const huge = new Uint8Array(SYNC_LIMITS.maxMessageBytes + 1);
    assert.throws(() => decodeSyncMessage(huge), (e: unknown) => e instanceof DecodeError && e.code === 'too-large');
  });

  it('throws only DecodeError on every truncation and random mutation (fast-check, seeded)', () => {
    const golden = unhex(GOLDEN_HEX);
    for (let i = 0; i < golden.length; i++) {
      assert.throws(() => decodeSyncMessage(golden.slice(0, i)), DecodeError, `truncated at ${i}`);
    }
    const seed = 0x5eed;
    console.log(`      fast-check seed ${seed}`);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(golden.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.uint8Array({ maxLength: 64 }),
        (edits, tail) => {
          const bytes = new Uint8Array([...golden, ...tail]);
          for (const [at, v] of edits) bytes[at] = v;
          try {
            const msg = decodeSyncMessage(bytes);
            // Whatever decodes re-encodes to the same bytes (one encoding per message).
            assert.equal(hex(encodeSyncMessage(msg)), hex(bytes));
          } catch (e) {
            if (!(e instanceof DecodeError)) throw e;
          }
        },
      ),
      { seed, numRuns: 3000 },
    );
  });
});
