/**
 * `weft peer`: the headless peer, which mirrors a share to a folder.
 *   weft peer init --dir F [--name N] [--broker ADDR]... [--address ADDR]...
 *        creates an identity and a share of F's text files; prints the invitation
 *        (--address: this peer's own listen address, put in the invitation)
 *   weft peer key --dir F            prints this peer's public key (creates the identity)
 *   weft peer grant KEY --role writer|reader|admin --dir F [--name N]
 *        grants access in the stored share (published on the next run)
 *   weft peer join INVITATION --dir F   records the share to join (keys come on run)
 *   weft peer invite --dir F [--address ADDR]...   prints the invitation again
 *   weft peer run --dir F [--broker ADDR]... [--listen ADDR]... [--mdns] [--name N]
 *        mirrors the share to F both ways until SIGTERM; collects unreferenced chunks at
 *        start and every hour
 *   weft peer gc --dir F [--grace-hours H]
 *        deletes the chunks no kept version of a listed binary file needs and older than
 *        H hours (default 1), while the peer is not running
 * Files in F/.weft/: identity (hex seed, 0600), share.json, log/ (the share's log),
 * chunks/ (encrypted chunks of binary files, a PackChunkStore).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fromHex, publicKeyFromText, publicKeyToText, signingKeyPairFromSeed, toHex, type SigningKeyPair } from '../protocol/src/crypto/index.js';
import { ShareNode } from '../protocol/src/node/share-node.js';
import { PeerRuntime, describeGarbageCollection, type PeerAddress } from '../protocol/src/runtime/peer-runtime.js';
import { collectShareGarbage } from '../protocol/src/runtime/peer-gc.js';
import { invitationFromText, invitationToText } from '../protocol/src/share/invitation.js';
import type { GrantableRole } from '../protocol/src/share/roles.js';
import { FileLogStore } from '../protocol/storage/file-log-store.js';
import { PackChunkStore } from '../protocol/storage/chunk-store-pack.js';
import { createTransport } from '../protocol/transport/index.js';
import { peerIdFromWeftKey } from '../protocol/transport/peer-key.js';
import { FolderMirror, readTextFiles } from './mirror.js';

export const PEER_USAGE = `usage: weft peer init --dir F [--name N] [--broker ADDR]... [--address ADDR]...
       weft peer key --dir F
       weft peer grant KEY --role writer|reader|admin --dir F [--name N]
       weft peer join INVITATION --dir F
       weft peer invite --dir F [--address ADDR]...
       weft peer run --dir F [--broker ADDR]... [--listen ADDR]... [--mdns] [--name N]
       weft peer gc --dir F [--grace-hours H]`;

class UsageError extends Error {}

interface ShareFile {
  shareId: string;
  name: string;
  topics: string[];
  /** Brokers and peers to dial. */
  addresses: PeerAddress[];
  /** Our own addresses, for invitations. */
  selfAddresses: string[];
}

const OPTIONS = {
  dir: { type: 'string' },
  name: { type: 'string' },
  broker: { type: 'string', multiple: true },
  address: { type: 'string', multiple: true },
  listen: { type: 'string', multiple: true },
  role: { type: 'string' },
  mdns: { type: 'boolean' },
  'grace-hours': { type: 'string' },
} as const;

const HOUR_MS = 60 * 60 * 1000;

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

export async function runPeerCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  try {
    const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true });
    if (sub !== undefined && sub !== 'help' && !values.dir) throw new UsageError('--dir is required');
    const dir = resolve(values.dir ?? '.');
    switch (sub) {
      case 'init':
        return await init(dir, values.name, values.broker ?? [], values.address ?? []);
      case 'key':
        out(publicKeyToText((await identity(dir)).publicKey));
        return 0;
      case 'grant':
        return await grant(dir, positionals[0], values.role, values.name);
      case 'join':
        return await joinShare(dir, positionals[0]);
      case 'invite': {
        const share = await readShare(dir);
        out(await invitation(dir, share, values.address ?? []));
        return 0;
      }
      case 'run':
        return await run(dir, values.broker ?? [], values.listen ?? [], values.mdns ?? false, values.name);
      case 'gc':
        return await gc(dir, values['grace-hours']);
      default:
        out(PEER_USAGE);
        return sub === undefined || sub === 'help' ? 0 : 2;
    }
  } catch (err) {
    process.stderr.write(`weft peer: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof UsageError) process.stderr.write(`${PEER_USAGE}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

async function identity(dir: string): Promise<SigningKeyPair> {
  const p = join(dir, '.weft', 'identity');
  if (!existsSync(p)) {
    await mkdir(join(dir, '.weft'), { recursive: true });
    await writeFile(p, toHex(new Uint8Array(randomBytes(32))) + '\n', { mode: 0o600 });
    await chmod(p, 0o600);
  }
  return signingKeyPairFromSeed(fromHex((await readFile(p, 'utf8')).trim()));
}

async function readShare(dir: string): Promise<ShareFile> {
  const p = join(dir, '.weft', 'share.json');
  if (!existsSync(p)) throw new UsageError(`${dir} holds no share: run "weft peer init" or "weft peer join" first`);
  return JSON.parse(await readFile(p, 'utf8')) as ShareFile;
}

async function writeShare(dir: string, s: ShareFile): Promise<void> {
  await writeFile(join(dir, '.weft', 'share.json'), JSON.stringify(s, null, 2) + '\n');
}

async function openNode(dir: string, share: ShareFile, me: SigningKeyPair): Promise<ShareNode> {
  const { node, recovered } = await ShareNode.open({ store: new FileLogStore(join(dir, '.weft', 'log')), shareId: fromHex(share.shareId), me });
  if (recovered) out(`recovered the log: ${recovered}`);
  return node;
}

/** An own address made dialable by its peer id. */
function withPeerId(addr: string, me: SigningKeyPair): string {
  return addr.includes('/p2p/') ? addr : `${addr}/p2p/${peerIdFromWeftKey(me.publicKey).toString()}`;
}

async function invitation(dir: string, share: ShareFile, extra: string[]): Promise<string> {
  const me = await identity(dir);
  return invitationToText({
    shareId: fromHex(share.shareId),
    name: share.name,
    topics: share.topics.map(fromHex),
    addresses: [...share.addresses, ...[...share.selfAddresses, ...extra].map((addr) => ({ role: 'peer' as const, addr: withPeerId(addr, me) }))],
  });
}

async function init(dir: string, name: string | undefined, brokers: string[], selfAddresses: string[]): Promise<number> {
  if (existsSync(join(dir, '.weft', 'share.json'))) throw new UsageError(`${dir} already holds a share`);
  const me = await identity(dir);
  const shareName = name ?? dir.split(/[\\/]/).pop() ?? 'share';
  const { node, shareKey } = await ShareNode.create(new FileLogStore(join(dir, '.weft', 'log')), shareName, me);
  const files = await readTextFiles(dir);
  for (const [path, text] of files) node.replica.createFile(path, 'text', text);
  await node.commit();
  const share: ShareFile = {
    shareId: toHex(shareKey.publicKey),
    name: shareName,
    topics: node.replica.topicsNewestFirst().map(toHex),
    addresses: brokers.map((addr) => ({ role: 'broker', addr })),
    selfAddresses,
  };
  await node.close();
  await writeShare(dir, share);
  out(`created share "${shareName}" with ${files.size} files`);
  out(await invitation(dir, share, []));
  return 0;
}

async function grant(dir: string, keyText: string | undefined, role: string | undefined, name: string | undefined): Promise<number> {
  if (!keyText) throw new UsageError('grant needs the member key (weft1...)');
  if (role !== 'writer' && role !== 'reader' && role !== 'admin') throw new UsageError('--role must be writer, reader or admin');
  const share = await readShare(dir);
  const node = await openNode(dir, share, await identity(dir));
  try {
    const member = publicKeyFromText(keyText);
    node.replica.grant(member, role as GrantableRole, name ?? keyText.slice(0, 12));
    await node.commit();
    out(`granted ${role} to ${keyText} (published on the next "weft peer run")`);
  } finally {
    await node.close();
  }
  return 0;
}

async function joinShare(dir: string, text: string | undefined): Promise<number> {
  if (!text) throw new UsageError('join needs an invitation (weft-invite:...)');
  const inv = invitationFromText(text);
  const me = await identity(dir);
  if (existsSync(join(dir, '.weft', 'share.json'))) throw new UsageError(`${dir} already holds a share`);
  await writeShare(dir, { shareId: toHex(inv.shareId), name: inv.name, topics: inv.topics.map(toHex), addresses: inv.addresses, selfAddresses: [] });
  out(`joining "${inv.name}" as ${publicKeyToText(me.publicKey)}; run "weft peer run --dir ${dir}"`);
  return 0;
}

async function run(dir: string, brokers: string[], listen: string[], mdns: boolean, name: string | undefined): Promise<number> {
  const share = await readShare(dir);
  const me = await identity(dir);
  const node = await openNode(dir, share, me);
  const transport = createTransport({ identitySeed: me.secretKey, listen: listen.length ? listen : ['/ip4/127.0.0.1/tcp/0'], mdns });
  await transport.start();
  for (const a of transport.addresses()) out(`listening ${a}`);
  const myId = peerIdFromWeftKey(me.publicKey).toString();
  const addresses = [...share.addresses, ...brokers.map((addr) => ({ role: 'broker' as const, addr }))].filter((a) => !a.addr.endsWith(`/p2p/${myId}`));
  const chunks = await PackChunkStore.open(join(dir, '.weft', 'chunks'));
  const runtime = new PeerRuntime({ node, transport, addresses, mdns, name: name ?? share.name, invitationTopics: share.topics.map(fromHex), chunks });
  runtime.on('log', out);
  runtime.on('transfer', (t) => {
    if (t.direction === 'upload' && t.done) out(`uploaded object ${t.object.slice(0, 12)} (${t.bytesTotal} bytes) to broker ${t.broker?.slice(0, 12)}`);
  });
  runtime.on('merged', (ids) => out(`merged ${ids.length} commit${ids.length === 1 ? '' : 's'}`));
  let last = '';
  runtime.on('status', (s) => {
    const line = `status: ${s.brokers} broker(s), ${s.peers} peer(s) online, ${s.commits} commits${s.joined ? '' : ', waiting for keys'}`;
    if (line !== last) out((last = line));
  });
  runtime.on('presence', (list) => out(`here: ${list.map((e) => e.presence.name).join(', ') || 'nobody else'}`));
  const mirror = new FolderMirror(dir, runtime, out);
  // The first pass compares the folder with the stored share (edits made while stopped)
  // before anything arrives from the network.
  await mirror.start();
  runtime.start();
  out(`mirroring ${dir}`);
  // Chunks of replaced versions and deleted files: at start, then hourly (one run at a time).
  let collecting: Promise<void> = Promise.resolve();
  const collect = (): void => {
    collecting = runtime.collectGarbage().then(
      (r) => out(`gc: ${describeGarbageCollection(r)}`),
      (err: unknown) => out(`gc: skipped: ${err instanceof Error ? err.message : String(err)}`),
    );
  };
  collect();
  const gcTimer = setInterval(collect, HOUR_MS);
  gcTimer.unref();
  await new Promise<void>((resolveStop) => {
    process.once('SIGTERM', resolveStop);
    process.once('SIGINT', resolveStop);
  });
  out('stopping');
  clearInterval(gcTimer);
  await mirror.stop();
  await runtime.stop();
  await collecting;
  await transport.stop();
  await chunks.close();
  await node.close();
  return 0;
}

async function gc(dir: string, graceHours: string | undefined): Promise<number> {
  const hours = graceHours === undefined ? 1 : Number(graceHours);
  if (!Number.isFinite(hours) || hours < 0) throw new UsageError(`--grace-hours must be a number of hours (0 or more), got "${graceHours}"`);
  const share = await readShare(dir);
  const node = await openNode(dir, share, await identity(dir));
  try {
    // Locked per process: fails while "weft peer run" holds the store (it collects by itself).
    const chunks = await PackChunkStore.open(join(dir, '.weft', 'chunks'));
    try {
      out(`gc: ${describeGarbageCollection(await collectShareGarbage(node.replica, chunks, { graceMs: hours * HOUR_MS }))}`);
    } finally {
      await chunks.close();
    }
  } finally {
    await node.close();
  }
  return 0;
}
