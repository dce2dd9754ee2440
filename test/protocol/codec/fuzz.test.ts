/**
 * Fuzzes every decoder in fuzz-targets.ts: for each, 100,000 inputs (half random bytes of
 * random length 0..2x the largest sample, half mutated samples). Each call must return
 * or throw DecodeError: no other exception, no input taking over a second.
 *
 * WEFT_FUZZ_SEED=<n> replays a run (the seed is printed on failure);
 * WEFT_FUZZ_INPUTS=<n> changes the number of inputs per target.
 */
import assert from 'node:assert/strict';
import { DecodeError, type DecodeErrorCode } from '../../../protocol/src/codec/errors.js';
import { toHex } from '../../../protocol/src/crypto/index.js';
import { FuzzInput } from './fuzz-input.js';
import { fuzzTargets, type FuzzTarget } from './fuzz-targets.js';

const INPUTS = Number(process.env['WEFT_FUZZ_INPUTS'] ?? 100_000);
const BASE_SEED = process.env['WEFT_FUZZ_SEED'] !== undefined ? Number(process.env['WEFT_FUZZ_SEED']) : (Date.now() % 1_000_000_007) >>> 0;
const MAX_INPUT_MS = 1000;

/** Re-runs a failing input with stack traces on, for the report. */
function replayFailure(target: FuzzTarget, input: Uint8Array): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 20;
  try {
    target.decode(input);
    return '(nothing on replay)';
  } catch (err) {
    return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Stack traces are most of the cost of a refused input; the failure report re-creates one. */
function withoutStacks<T>(fn: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return fn();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function fuzz(target: FuzzTarget, seed: number): { accepted: number; codes: Partial<Record<DecodeErrorCode, number>> } {
  const samples = target.samples();
  for (const s of samples) target.decode(s); // every sample must be valid
  const maxLength = 2 * Math.max(1, ...samples.map((s) => s.length));
  const gen = new FuzzInput(seed);
  const codes: Partial<Record<DecodeErrorCode, number>> = {};
  let accepted = 0;
  for (let i = 0; i < INPUTS; i++) {
    const input = i % 2 === 0 ? gen.random(maxLength) : gen.mutate(samples);
    const t0 = performance.now();
    try {
      target.decode(input);
      accepted++;
    } catch (err) {
      if (!(err instanceof DecodeError)) {
        assert.fail(`${target.name}: input #${i} threw ${replayFailure(target, input)}\n` +
          `  seed ${seed} (replay: WEFT_FUZZ_SEED=${BASE_SEED}), input ${toHex(input)}`);
      }
      codes[err.code] = (codes[err.code] ?? 0) + 1;
    }
    const ms = performance.now() - t0;
    if (ms > MAX_INPUT_MS) {
      assert.fail(`${target.name}: input #${i} took ${ms.toFixed(0)} ms; seed ${seed} (WEFT_FUZZ_SEED=${BASE_SEED}), input ${toHex(input)}`);
    }
  }
  return { accepted, codes };
}

describe(`codec fuzz (${INPUTS} inputs per decoder, seed ${BASE_SEED})`, () => {
  fuzzTargets.forEach((target, index) => {
    it(target.name, function () {
      this.timeout(120_000);
      const { accepted, codes } = withoutStacks(() => fuzz(target, (BASE_SEED + index * 0x9e3779b9) >>> 0));
      const rejected = Object.values(codes).reduce((a, b) => a + b, 0);
      assert.equal(accepted + rejected, INPUTS);
      assert.ok(rejected > 0, 'random bytes should be refused at least once');
    });
  });
});

describe('codec fuzz harness', () => {
  it('catches a decoder that throws something other than DecodeError, and names the seed', () => {
    const broken: FuzzTarget = {
      name: 'broken',
      decode: (b) => {
        if (b.length > 2 && b[1] === 0xff) throw new TypeError('cannot read properties of undefined');
        return b.length;
      },
      samples: () => [new Uint8Array([1, 2, 3, 4])],
    };
    assert.throws(() => withoutStacks(() => fuzz(broken, 5)), /broken: input #\d+ threw TypeError.*\n.*seed 5/s);
  });
});
