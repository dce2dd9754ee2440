/**
 * Run-time features libp2p 3.x expects and Node 20 lacks (see ENVIRONMENT.md).
 * Imported first by the transport entry points, before any libp2p module runs.
 * Both are no-ops where the feature exists (newer Node, newer VS Code).
 *
 * - `Promise.withResolvers`: libp2p 3 calls it at run time; without it the
 *   listener fails the Noise upgrade and the dialer only sees ECONNRESET.
 * - `globalThis.WebSocket`: @libp2p/websockets dials with it; Node 20 has none,
 *   so we install the `ws` client, which implements the same API.
 */
import WebSocket from 'ws';

interface PromiseWithResolversShape<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const PromiseCtor = Promise as unknown as { withResolvers?: <T>() => PromiseWithResolversShape<T> };
if (typeof PromiseCtor.withResolvers !== 'function') {
  PromiseCtor.withResolvers = function withResolvers<T>(): PromiseWithResolversShape<T> {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

const globals = globalThis as unknown as { WebSocket?: unknown };
if (typeof globals.WebSocket === 'undefined') {
  globals.WebSocket = WebSocket;
}
