/**
 * `weft peer`: the headless peer, which mirrors a share to a folder.
 *   weft peer init --dir F [--name N] [--broker ADDR]... [--address ADDR]...
 *        creates a share of F's text files; prints the invitation
 *        (--address: this peer's own listen address, put in the invitation)
 *   weft peer key [--dir F]          prints this peer's public key (creates the identity);
 *        says on stderr where the key is
 *   weft peer grant KEY --role writer|reader|admin --dir F [--name N]
 *        grants access in the stored share (published on the next run)
 *   weft peer revoke KEY --dir F     revokes a member's access in the stored share and moves
 *        the share to a new key (published on the next run); owner and admins only
 *   weft peer join INVITATION --dir F   records the share to join (keys come on run)
 *   weft peer invite --dir F [--address ADDR]...   prints the invitation again
 *   weft peer run --dir F [--broker ADDR]... [--listen ADDR]... [--mdns] [--name N] [--no-webrtc]
 *        mirrors the share to F both ways until SIGTERM; collects unreferenced chunks at
 *        start and every hour. Teammates behind NATs connect through the brokers' relays,
 *        and directly by WebRTC (STUN at the brokers' addresses) unless --no-webrtc
 *   weft peer status --dir F         how the running peer is connected: brokers, its addresses,
 *        and each teammate direct, relayed through which broker, or not (bin/peer-status.ts)
 *   weft peer gc --dir F [--grace-hours H]
 *        deletes the chunks no kept version of a listed binary file needs and older than
 *        H hours (default 1), while the peer is not running
 * Every subcommand takes --identity FILE (or WEFT_IDENTITY): the identity to use instead
 * of the user's, which lives in the configuration folder (bin/identity-store.ts), never in F.
 * Files in F/.weft/ (state-folder.ts): .gitignore (`*`: nothing of it reaches Git),
 * share.json, log/ (the share's log), chunks/ (encrypted chunks of binary files, a
 * PackChunkStore). A folder whose .weft/ still holds an identity (earlier versions) is
 * migrated on first use (identity-migration.ts).
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  fromHex,
  publicKeyFromText,
  publicKeyToText,
  toHex,
  type SigningKeyPair,
  ShareNode,
  invitationFromText,
  invitationToText,
  type GrantableRole,
} from '../protocol/src/index.js';
import { PeerRuntime, describeGarbageCollection, collectShareGarbage } from '../protocol/runtime/index.js';
import { FileLogStore, PackChunkStore } from '../protocol/storage/index.js';
import { createTransport, peerIdFromWeftKey, stunServersOf } from '../protocol/transport/index.js';
import { importFolder, GitCheckout } from '../protocol/mirror/index.js';
import { mirrorStateDir, startPeerMirror } from './peer-mirror.js';
import { clearIdentityNote, defaultIdentityPath, explicitIdentity, folderIdentity, loadOrCreateIdentity, recordedIdentity } from './identity-store.js';
import { migrateFolder } from './identity-migration.js';
import { revokeMember } from './revoke.js';
import { ensureStateFolder, hasShare, NoShareError, readShare, statePath, writeShare, type ShareFile } from './state-folder.js';
import { systemClock, systemRandom } from '../protocol/platform/index.js';
import { printPeerStatus, StatusFileWriter, describeTeammate, statusFile } from './peer-status.js';

export const PEER_USAGE = `usage: weft peer init --dir F [--name N] [--broker ADDR]... [--address ADDR]...
       weft peer key [--dir F]
       weft peer grant KEY --role writer|reader|admin --dir F [--name N]
       weft peer revoke KEY --dir F
       weft peer join INVITATION --dir F
       weft peer invite --dir F [--address ADDR]...
       weft peer run --dir F [--broker ADDR]... [--listen ADDR]... [--mdns] [--name N] [--no-webrtc]
       weft peer branch NAME --dir F
       weft peer status --dir F
       weft peer gc --dir F [--grace-hours H]
Every subcommand also takes --identity FILE (or WEFT_IDENTITY=FILE): the key to use instead of
your identity (see "weft peer key"). Keys are never kept inside F; F/.weft/ holds the share's
state and a .gitignore, so nothing of Weft's reaches Git.`;

class UsageError extends Error {}

const OPTIONS = {
  dir: { type: 'string' },
  name: { type: 'string' },
  broker: { type: 'string', multiple: true },
  address: { type: 'string', multiple: true },
  listen: { type: 'string', multiple: true },
  role: { type: 'string' },
  mdns: { type: 'boolean' },
  'no-webrtc': { type: 'boolean' },
  'grace-hours': { type: 'string' },
  identity: { type: 'string' },
} as const;

const HOUR_MS = 60 * 60 * 1000;

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

export async function runPeerCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  try {
    const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true });
    // The key is the user's, not a folder's: `key` needs no folder.
    if (sub !== undefined && sub !== 'help' && sub !== 'key' && !values.dir) throw new UsageError('--dir is required');
    const dir = resolve(values.dir ?? '.');
    identityOption = explicitIdentity(values.identity);
    if (values.dir) await migrateFolder(dir, identityOption, note);
    switch (sub) {
      case 'init':
        return await init(dir, values.name, values.broker ?? [], values.address ?? []);
      case 'key': {
        const found = values.dir ? await folderIdentity(dir, identityOption) : await loadOrCreateIdentity(defaultIdentityPath(identityOption));
        // stdout stays just the key (scripts read it); where it lives goes to stderr.
        note(`identity: ${found.path}${found.created ? ' (created)' : ''}`);
        out(publicKeyToText(found.keys.publicKey));
        return 0;
      }
      case 'grant':
        return await grant(dir, positionals[0], values.role, values.name);
      case 'revoke':
        return await revoke(dir, positionals[0]);
      case 'join':
        return await joinShare(dir, positionals[0]);
      case 'invite': {
        const share = await readShare(dir);
        out(await invitation(dir, share, values.address ?? []));
        return 0;
      }
      case 'run':
        return await run(dir, values.broker ?? [], values.listen ?? [], values.mdns ?? false, values.name, values['no-webrtc'] !== true);
      case 'gc':
        return await gc(dir, values['grace-hours']);
      case 'status':
        return await printPeerStatus(dir, out);
      case 'branch':
        return await moveToBranch(dir, positionals[0]);
      default:
        out(PEER_USAGE);
        return sub === undefined || sub === 'help' ? 0 : 2;
    }
  } catch (err) {
    process.stderr.write(`weft peer: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof UsageError) process.stderr.write(`${PEER_USAGE}\n`);
    return err instanceof UsageError || err instanceof NoShareError ? 2 : 1;
  }
}

/** Notices about the identity and the folder's layout: on stderr, so stdout stays what scripts read. */
function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The command line's --identity (or WEFT_IDENTITY), resolved once in runPeerCommand. */
let identityOption: string | undefined;

/** The identity the member of `dir` signs with (created on first use: see identity-store.ts). */
async function identity(dir: string): Promise<SigningKeyPair> {
  return (await folderIdentity(dir, identityOption)).keys;
}

/** The runtime's switch read from the environment here, at the edge: WEFT_TRACE=1 logs each commit's stages. */
function runtimeTestHooks(): { trace: boolean } {
  return { trace: process.env.WEFT_TRACE === '1' };
}

/** What share.json records of the identity: the one a migrated, not yet joined folder noted (none: the user's). */
async function identityToRecord(dir: string): Promise<Pick<ShareFile, 'identity'>> {
  const noted = await recordedIdentity(dir);
  return noted === undefined ? {} : { identity: noted };
}

async function openNode(dir: string, share: ShareFile, me: SigningKeyPair): Promise<ShareNode> {
  await ensureStateFolder(dir);
  const { node, recovered } = await ShareNode.open({ store: new FileLogStore(statePath(dir, 'log')), shareId: fromHex(share.shareId), me });
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
  if (hasShare(dir)) throw new UsageError(`${dir} already holds a share`);
  const me = await identity(dir);
  const shareName = name ?? dir.split(/[\\/]/).pop() ?? 'share';
  await ensureStateFolder(dir);
  const { node, shareKey } = await ShareNode.create(new FileLogStore(statePath(dir, 'log')), shareName, me);
  // The folder's files go in through the mirror's first pass: in commits under the limit,
  // one file read at a time, with the mirror's records written for the first run.
  const files = await importFolder({ root: dir, recordsDir: mirrorStateDir(statePath(dir)), node, progress: (n) => out(`${n} files added so far`) });
  const share: ShareFile = {
    shareId: toHex(shareKey.publicKey),
    name: shareName,
    topics: node.replica.topicsNewestFirst().map(toHex),
    addresses: brokers.map((addr) => ({ role: 'broker', addr })),
    selfAddresses,
    ...(await identityToRecord(dir)),
  };
  await node.close();
  await writeShare(dir, share);
  await clearIdentityNote(dir);
  out(`created share "${shareName}" with ${files} files`);
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
  const found = await folderIdentity(dir, identityOption);
  if (hasShare(dir)) throw new UsageError(`${dir} already holds a share`);
  await writeShare(dir, {
    shareId: toHex(inv.shareId),
    name: inv.name,
    topics: inv.topics.map(toHex),
    addresses: inv.addresses,
    selfAddresses: [],
    ...(await identityToRecord(dir)),
  });
  await clearIdentityNote(dir);
  out(`joining "${inv.name}" as ${publicKeyToText(found.keys.publicKey)}; run "weft peer run --dir ${dir}"`);
  return 0;
}

async function revoke(dir: string, keyText: string | undefined): Promise<number> {
  if (!keyText) throw new UsageError('revoke needs the member key (weft1...; "weft peer key" prints it on their machine)');
  const share = await readShare(dir);
  const node = await openNode(dir, share, await identity(dir));
  try {
    const revoked = await revokeMember(node, publicKeyFromText(keyText), share.name);
    // New invitations must name the new epoch's topic, or a new member would wait on the old one.
    await writeShare(dir, { ...share, topics: node.replica.topicsNewestFirst().map(toHex) });
    out(`revoked ${revoked.role} ${revoked.name} (${keyText}); the share moved to a new key (published on the next "weft peer run")`);
  } finally {
    await node.close();
  }
  return 0;
}

async function run(dir: string, brokers: string[], listen: string[], mdns: boolean, name: string | undefined, webrtc: boolean): Promise<number> {
  const share = await readShare(dir);
  const me = await identity(dir);
  const node = await openNode(dir, share, me);
  const brokerAddrs = [...share.addresses.filter((a) => a.role === 'broker').map((a) => a.addr), ...brokers];
  const transport = createTransport({
    identitySeed: me.secretKey,
    listen: listen.length ? listen : ['/ip4/127.0.0.1/tcp/0'],
    mdns,
    ...(webrtc ? { webrtc: { stunServers: stunServersOf(brokerAddrs) } } : {}),
    log: out,
  });
  await transport.start();
  for (const a of transport.addresses()) out(`listening ${a}`);
  const myId = peerIdFromWeftKey(me.publicKey).toString();
  const addresses = [...share.addresses, ...brokers.map((addr) => ({ role: 'broker' as const, addr }))].filter((a) => !a.addr.endsWith(`/p2p/${myId}`));
  const chunks = await PackChunkStore.open(join(dir, '.weft', 'chunks'));
  const runtime = new PeerRuntime({ node, transport, addresses, mdns, name: name ?? share.name, invitationTopics: share.topics.map(fromHex), chunks, clock: systemClock, random: systemRandom, ...runtimeTestHooks() });
  runtime.on('log', out);
  runtime.on('transfer', (t) => {
    if (t.direction === 'upload' && t.done) out(`uploaded object ${t.object.slice(0, 12)} (${t.bytesTotal} bytes) to broker ${t.broker?.slice(0, 12)}`);
  });
  runtime.on('merged', (ids) => out(`merged ${ids.length} commit${ids.length === 1 ? '' : 's'}`));
  let last = '';
  const statusWriter = new StatusFileWriter(dir);
  let lastTeammates = '';
  runtime.on('status', (s) => {
    statusWriter.write(statusFile(share.name, s, transport.addresses()));
    const teammates = statusFile(share.name, s, []).teammates.map(describeTeammate).join('; ');
    if (teammates && teammates !== lastTeammates) out(`teammates: ${(lastTeammates = teammates)}`);
    const branch = node.replica.branch();
    const retrying = s.retrying.length ? `, retrying ${s.retrying.map((r) => `${r.role} ${r.addr} (attempt ${r.attempts})`).join(', ')}` : '';
    const line = `status: ${s.brokers} broker(s), ${s.peers} peer(s) online, ${s.commits} commits${s.joined ? '' : ', waiting for keys'}${branch ? `, following branch ${branch.name}` : ''}${retrying}`;
    if (line !== last) out((last = line));
  });
  runtime.on('presence', (list) => out(`here: ${list.map((e) => e.presence.name).join(', ') || 'nobody else'}`));
  // The mirror's first pass compares the folder with the stored share (edits made while
  // stopped) before anything arrives from the network.
  const mirror = await startPeerMirror(dir, statePath(dir), runtime, out);
  runtime.start();
  transport.on('addresses', (addrs) => {
    for (const a of addrs) out(`address ${a}`);
    statusWriter.write(statusFile(share.name, runtime.status(), addrs));
  });
  statusWriter.write(statusFile(share.name, runtime.status(), transport.addresses()));
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
  await statusWriter.close();
  await collecting;
  await transport.stop();
  await chunks.close();
  await node.close();
  return 0;
}

/** Moves the share to another Git branch (owner and admins): each member follows when they check it out. */
async function moveToBranch(dir: string, name: string | undefined): Promise<number> {
  if (!name) throw new UsageError('branch needs the name of the Git branch the share should follow');
  const share = await readShare(dir);
  const node = await openNode(dir, share, await identity(dir));
  try {
    const git = await GitCheckout.open(dir);
    const head = await git?.head().catch(() => undefined);
    git?.close();
    node.replica.setBranch(name, head?.branch === name ? head.commit : '');
    await node.commit();
    out(`the share now follows branch ${name} (published on the next "weft peer run"); members on another branch are away until they check it out`);
  } finally {
    await node.close();
  }
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
      out(`gc: ${describeGarbageCollection(await collectShareGarbage(node.replica, chunks, { now: Date.now(), graceMs: hours * HOUR_MS }))}`);
    } finally {
      await chunks.close();
    }
  } finally {
    await node.close();
  }
  return 0;
}
