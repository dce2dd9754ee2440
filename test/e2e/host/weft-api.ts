/** Helpers for host tests: the extension's test API, a teammate node in this process, polling. */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { WeftTestApi } from '../../../extension/test-api.js';
import { ShareNode, signingKeyPairFromSeed, type SigningKeyPair } from '../../../protocol/src/index.js';
import { PeerRuntime, type PeerAddress } from '../../../protocol/runtime/peer-runtime.js';
import { MemoryChunkStore } from '../../../protocol/storage/memory-chunk-store.js';
import type { ChunkStore } from '../../../protocol/src/ports/chunk-store.js';
import { MemoryLogStore } from '../../../protocol/storage/memory-log-store.js';
import { createTransport, type Transport } from '../../../protocol/transport/index.js';
import { systemClock, systemRandom } from '../../../protocol/platform/system-clock.js';

export async function weftApi(): Promise<WeftTestApi> {
  const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'weft');
  if (!ext) throw new Error('the Weft extension is not loaded');
  return (await ext.activate()) as WeftTestApi;
}

export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A teammate in this process: its own key, a memory log, a loopback transport and a peer runtime. */
export interface Teammate {
  me: SigningKeyPair;
  node: ShareNode;
  transport: Transport;
  runtime: PeerRuntime;
  stop(): Promise<void>;
}

export function newKey(): SigningKeyPair {
  return signingKeyPairFromSeed(new Uint8Array(randomBytes(32)));
}

/** `chunks`: where its binary objects live (memory if not given; pass one to keep them across a restart). */
export async function startTeammate(me: SigningKeyPair, node: ShareNode, addresses: PeerAddress[], invitationTopics: Uint8Array[] = [], chunks?: ChunkStore): Promise<Teammate> {
  const transport = createTransport({ identitySeed: me.secretKey, listen: ['/ip4/127.0.0.1/tcp/0'] });
  await transport.start();
  const runtime = new PeerRuntime({ clock: systemClock, random: systemRandom, node, transport, addresses, name: 'teammate', invitationTopics, gapDelayMs: 50, chunks: chunks ?? new MemoryChunkStore() });
  runtime.start();
  return {
    me,
    node,
    transport,
    runtime,
    async stop() {
      await runtime.stop();
      await transport.stop();
      await node.close();
    },
  };
}

export async function openEmptyNode(shareId: Uint8Array, me: SigningKeyPair): Promise<ShareNode> {
  return (await ShareNode.open({ store: new MemoryLogStore(), shareId, me })).node;
}

/** A seeded PRNG (mulberry32). */
export function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}
