/** What the NAT tests share beside tools/netns/: skipping without NAT support, and their helper scripts' paths. */
import { fileURLToPath } from 'node:url';
import { natUnavailable } from '../../../tools/netns/netns.js';

/**
 * In a mocha `before`: skips the suite, printing why, when NAT namespaces cannot be built
 * here. Never a silent pass: the tests show as pending, with the reason in the log.
 */
export async function skipWithoutNat(context: Mocha.Context): Promise<void> {
  const why = await natUnavailable();
  if (why === undefined) return;
  console.log(`      skipped (${context.test?.parent?.title ?? 'NAT tests'}): ${why}`);
  context.skip();
}

/** One of the compiled helper scripts next to this file (out/test/net/nat/NAME.js). */
export function helperScript(name: string): string {
  return fileURLToPath(new URL(`./${name}.js`, import.meta.url));
}
