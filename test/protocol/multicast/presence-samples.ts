/** Valid signed presence bodies (tests and fuzz seeds). */
import { encodePresence } from '../../../protocol/src/multicast/presence.js';
import { keyFor } from '../share/harness.js';

export function presenceSamples(): Uint8Array[] {
  const topic = new Uint8Array(32).fill(5);
  return ['Alice', 'Bob'].map((name, i) =>
    encodePresence(
      {
        member: keyFor(name).publicKey,
        name,
        file: i ? '' : 'docs/read me.md',
        counter: i * 1000,
        leaving: i === 1,
        selections: i
          ? []
          : [
              { anchor: { id: { agent: '0123456789abcdef', seq: 12 }, bias: 'before' }, head: { id: { agent: '0123456789abcdef', seq: 40 }, bias: 'after' } },
              { anchor: { id: null, bias: 'before' }, head: { id: null, bias: 'after' } },
            ],
      },
      keyFor(name),
      topic,
    ),
  );
}
