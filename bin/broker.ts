/**
 * `weft broker`: runs a broker of the core network until SIGTERM/SIGINT.
 *   weft broker [--data DIR] [--config FILE] [--listen MULTIADDR]... [--bootstrap MULTIADDR]...
 *               [--peer-broker MULTIADDR]... [--gossip-ms N] [--no-overlay]
 * (--peer-broker is a deprecated alias of --bootstrap; neither goes with --no-overlay.)
 *               [--topics open|allowlist] [--allow-topic HEX]... [--max-frame-bytes N]
 *               [--max-event-bytes N] [--topic-quota-bytes N] [--max-topics N]
 *               [--max-subscriptions N] [--rate-messages N] [--rate-bytes N]
 *               [--chunk-quota-bytes N] [--max-chunk-bytes N] [--chunk-expiry-days N]
 *               [--new-topics-per-peer N] [--new-topics-per-address N]
 *               [--inbound-connections-per-address N] [--max-connections N]
 *               [--no-relay] [--relay-max-reservations N] [--relay-reservation-seconds N]
 *               [--relay-connection-bytes N] [--relay-connection-seconds N] [--relay-allow KEY]...
 *   weft broker status [--data DIR]
 * The config file is JSON with the same settings:
 *   { "listen": [...], "bootstrap": [...], "peerBrokers": [...], "gossipMs": N, "overlay": false,
 *     "topics": "open", "allowTopics": [hex...],
 *     "maxFrameBytes": N, "maxEventBytes": N, "topicQuotaBytes": N, "maxTopics": N,
 *     "maxSubscriptions": N, "rateMessages": N, "rateBytes": N,
 *     "chunkQuotaBytes": N, "maxChunkBytes": N, "chunkExpiryDays": N,
 *     "newTopicsPerPeer": N, "newTopicsPerAddress": N, "inboundConnectionsPerAddress": N, "maxConnections": N,
 *     "relay": false, "relayMaxReservations": N, "relayReservationSeconds": N,
 *     "relayConnectionBytes": N, "relayConnectionSeconds": N, "relayAllow": [KEY...] }
 * Every limit, its default and what it protects: docs/BROKER.md.
 * Chunks of binary files are stored per topic under DIR/chunks/ (chunk quota per topic).
 * --chunk-expiry-days N: chunks nobody uploaded or offered again for N days are deleted
 * (at start, then hourly); default: chunks are kept forever.
 * Test hook: WEFT_TEST_CHUNK_EXPIRY_MS=M (with --chunk-expiry-days) makes the age M
 * milliseconds instead, swept every M/2 ms.
 * Flags override the file; repeatable flags replace the file's list.
 * On start it prints one line per address: "listening <multiaddr with /p2p/ id>".
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { NodeBroker, type BrokerStatusFile } from '../protocol/platform/index.js';
import type { RelayServerOptions } from '../protocol/transport/index.js';
import { type BrokerLimits, type TopicPolicy, fromHex, publicKeyFromText } from '../protocol/src/index.js';
import { exitAfter, isBrokenOutput, writeLine } from './daemon-output.js';
import { processAlive } from './process-alive.js';

const USAGE = `usage: weft broker [--data DIR] [--config FILE] [--listen ADDR]... [--bootstrap ADDR]...
                   [--peer-broker ADDR]... [--gossip-ms N] [--no-overlay]
                   [--topics open|allowlist] [--allow-topic HEX]... [--max-frame-bytes N]
                   [--max-event-bytes N] [--topic-quota-bytes N] [--max-topics N]
                   [--max-subscriptions N] [--rate-messages N] [--rate-bytes N]
                   [--chunk-quota-bytes N] [--max-chunk-bytes N] [--chunk-expiry-days N]
                   [--new-topics-per-peer N] [--new-topics-per-address N]
                   [--inbound-connections-per-address N] [--max-connections N]
                   [--no-relay] [--relay-max-reservations N] [--relay-reservation-seconds N]
                   [--relay-connection-bytes N] [--relay-connection-seconds N] [--relay-allow KEY]...
                   [--no-stun]
       weft broker status [--data DIR]
  --bootstrap ADDR        join the overlay of brokers through this broker (repeatable): the
                          brokers of each topic then find each other and pass its events
                          along a ring among themselves; no broker carries a topic it does
                          not serve. A broker started without it waits for others to join.
  --peer-broker ADDR      deprecated: the same as --bootstrap (topics travel only along
                          their rings, never over a link to a named broker).
  --gossip-ms N           the overlay's gossip period (default 5000 ms, jittered).
  --no-overlay            do not take part in the overlay: the broker serves its members
                          alone and carries no share to or from another broker (so
                          --bootstrap and --peer-broker are refused with it).
  --chunk-expiry-days N   delete stored chunks of binary files that no member uploaded or
                          offered again for N days (N may be fractional; checked at start,
                          then every hour). Members offer what they hold each time they
                          connect, so a file stays while someone holding it comes online.
                          Default: no expiry, chunks are kept forever.
  --new-topics-per-peer N, --new-topics-per-address N
                          in open mode, new topics one peer key (default 16) or one address
                          (an IPv6 /64; default 64) may make this broker store at once, and
                          again per hour; beside --max-topics (default 10000) for all.
  --inbound-connections-per-address N
                          connections accepted per second from one address (default 100: a
                          team of 50 behind one NAT joins in one burst).
  --max-connections N     open connections at most (default 1000).
  --no-relay              do not relay for peers behind NATs (circuit relay v2, on by default).
  --relay-max-reservations N, --relay-reservation-seconds N
                          peers holding a relay slot at once (default 256), and how long a
                          slot lasts unless renewed (default 1800).
  --relay-connection-bytes N, --relay-connection-seconds N
                          what one relayed connection may carry (default 64 MiB, both ways)
                          and how long it may stay open (default 1800) before it is reset.
  --no-stun               do not answer STUN on UDP at the TCP listen addresses (teammates
                          behind NATs learn their public address there for WebRTC).
  --relay-allow KEY       a peer key (weft1...) that may hold a relay slot without proof;
                          others must send a topic signature of a topic this broker carries
                          (Weft peers do: writers of a share whose events are stored here).
Every limit, its default and what it protects: docs/BROKER.md.`;

const DEFAULT_DATA = 'weft-broker-data';

interface BrokerFileConfig {
  listen?: string[];
  bootstrap?: string[];
  peerBrokers?: string[];
  gossipMs?: number;
  overlay?: boolean;
  topics?: TopicPolicy;
  allowTopics?: string[];
  dataDir?: string;
  maxFrameBytes?: number;
  maxEventBytes?: number;
  topicQuotaBytes?: number;
  maxTopics?: number;
  maxSubscriptions?: number;
  rateMessages?: number;
  rateBytes?: number;
  chunkQuotaBytes?: number;
  maxChunkBytes?: number;
  chunkExpiryDays?: number;
  newTopicsPerPeer?: number;
  newTopicsPerAddress?: number;
  inboundConnectionsPerAddress?: number;
  maxConnections?: number;
  relay?: boolean;
  relayMaxReservations?: number;
  relayReservationSeconds?: number;
  relayConnectionBytes?: number;
  relayConnectionSeconds?: number;
  relayAllow?: string[];
}

class UsageError extends Error {}

function stamp(level: string, text: string): void {
  writeLine('stderr', `${new Date().toISOString()} ${level.padEnd(4)} ${text}`);
}

/** A broker told to stop exits within this long, whatever its streams and disk do (issue 18). */
const STOP_DEADLINE_MS = 4000;

function positiveInt(name: string, v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got "${v}"`);
  return n;
}

/** --chunk-expiry-days in milliseconds (WEFT_TEST_CHUNK_EXPIRY_MS replaces it in tests); undefined: no expiry. */
function chunkExpiry(days: string | number | undefined): number | undefined {
  if (days === undefined) return undefined;
  const n = Number(days);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--chunk-expiry-days must be a positive number of days, got "${days}"`);
  const testMs = process.env.WEFT_TEST_CHUNK_EXPIRY_MS;
  if (testMs !== undefined) {
    const ms = Number(testMs);
    if (!Number.isFinite(ms) || ms <= 0) throw new UsageError(`WEFT_TEST_CHUNK_EXPIRY_MS must be a positive number, got "${testMs}"`);
    return ms;
  }
  return n * 24 * 60 * 60 * 1000;
}

export async function runBrokerCommand(args: string[]): Promise<number> {
  try {
    if (args[0] === 'status') return await status(args.slice(1));
    if (args[0] === 'help' || args[0] === '--help') {
      console.log(USAGE);
      return 0;
    }
    return await run(args);
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) {
      console.error(`weft broker: ${err.message}\n${USAGE}`);
      return 2;
    }
    console.error(`weft broker: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: 'string' },
      config: { type: 'string' },
      listen: { type: 'string', multiple: true },
      'peer-broker': { type: 'string', multiple: true },
      bootstrap: { type: 'string', multiple: true },
      'gossip-ms': { type: 'string' },
      'no-overlay': { type: 'boolean' },
      topics: { type: 'string' },
      'allow-topic': { type: 'string', multiple: true },
      'max-frame-bytes': { type: 'string' },
      'max-event-bytes': { type: 'string' },
      'topic-quota-bytes': { type: 'string' },
      'max-topics': { type: 'string' },
      'max-subscriptions': { type: 'string' },
      'rate-messages': { type: 'string' },
      'rate-bytes': { type: 'string' },
      'chunk-quota-bytes': { type: 'string' },
      'max-chunk-bytes': { type: 'string' },
      'chunk-expiry-days': { type: 'string' },
      'new-topics-per-peer': { type: 'string' },
      'new-topics-per-address': { type: 'string' },
      'inbound-connections-per-address': { type: 'string' },
      'max-connections': { type: 'string' },
      'no-relay': { type: 'boolean' },
      'relay-max-reservations': { type: 'string' },
      'relay-reservation-seconds': { type: 'string' },
      'relay-connection-bytes': { type: 'string' },
      'relay-connection-seconds': { type: 'string' },
      'relay-allow': { type: 'string', multiple: true },
      'no-stun': { type: 'boolean' },
    },
  });
  let file: BrokerFileConfig = {};
  if (values.config) {
    try {
      file = JSON.parse(await readFile(values.config, 'utf8')) as BrokerFileConfig;
    } catch (err) {
      throw new UsageError(`cannot read config ${values.config}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const policy = (values.topics ?? file.topics ?? 'open') as TopicPolicy;
  if (policy !== 'open' && policy !== 'allowlist') throw new UsageError(`--topics must be open or allowlist, got "${policy}"`);
  const allowHex = values['allow-topic'] ?? file.allowTopics ?? [];
  const allowlist = allowHex.map((h) => {
    if (!/^[0-9a-fA-F]{64}$/.test(h)) throw new UsageError(`--allow-topic must be a 64-hex-digit topic key, got "${h}"`);
    return fromHex(h.toLowerCase());
  });
  const limits: Partial<BrokerLimits> = {};
  const set = <K extends keyof BrokerLimits>(k: K, flag: string, v: string | number | undefined): void => {
    const n = positiveInt(flag, v);
    if (n !== undefined) limits[k] = n;
  };
  set('maxEventBytes', 'max-event-bytes', values['max-event-bytes'] ?? file.maxEventBytes);
  set('topicQuotaBytes', 'topic-quota-bytes', values['topic-quota-bytes'] ?? file.topicQuotaBytes);
  set('maxTopics', 'max-topics', values['max-topics'] ?? file.maxTopics);
  set('maxSubscriptionsPerChannel', 'max-subscriptions', values['max-subscriptions'] ?? file.maxSubscriptions);
  set('messagesPerSecond', 'rate-messages', values['rate-messages'] ?? file.rateMessages);
  set('bytesPerSecond', 'rate-bytes', values['rate-bytes'] ?? file.rateBytes);
  set('topicChunkQuotaBytes', 'chunk-quota-bytes', values['chunk-quota-bytes'] ?? file.chunkQuotaBytes);
  set('maxChunkBytes', 'max-chunk-bytes', values['max-chunk-bytes'] ?? file.maxChunkBytes);
  set('newTopicsPerPeer', 'new-topics-per-peer', values['new-topics-per-peer'] ?? file.newTopicsPerPeer);
  set('newTopicsPerAddress', 'new-topics-per-address', values['new-topics-per-address'] ?? file.newTopicsPerAddress);
  const inboundConnectionsPerAddress = positiveInt('inbound-connections-per-address', values['inbound-connections-per-address'] ?? file.inboundConnectionsPerAddress);
  const maxConnections = positiveInt('max-connections', values['max-connections'] ?? file.maxConnections);
  const maxFrameBytes = positiveInt('max-frame-bytes', values['max-frame-bytes'] ?? file.maxFrameBytes);
  const dataDir = resolve(values.data ?? file.dataDir ?? DEFAULT_DATA);
  const chunkExpiryMs = chunkExpiry(values['chunk-expiry-days'] ?? file.chunkExpiryDays);
  const relay = relayOptions(values, file);
  const relayAllow = (values['relay-allow'] ?? file.relayAllow ?? []).map((k) => {
    try {
      return publicKeyFromText(k);
    } catch (err) {
      throw new UsageError(`--relay-allow must be a peer key (weft1...), got "${k}": ${err instanceof Error ? err.message : String(err)}`);
    }
  });

  const overlay = overlayOptions(values, file);

  const server = await NodeBroker.start({
    dataDir,
    listen: values.listen ?? file.listen ?? ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws'],
    overlay,
    policy,
    allowlist,
    limits,
    ...(maxFrameBytes ? { maxFrameBytes } : {}),
    ...(chunkExpiryMs !== undefined ? { chunkExpiryMs } : {}),
    connectionLimits: { ...(inboundConnectionsPerAddress ? { inboundConnectionsPerAddress } : {}), ...(maxConnections ? { maxConnections } : {}) },
    relay,
    relayAllow,
    stun: values['no-stun'] !== true,
    log: stamp,
    trace: process.env.WEFT_TRACE === '1',
    tamperChunks: process.env.WEFT_TEST_TAMPER_CHUNKS === '1',
  });
  // A bug must not take the broker down for everyone: log it and keep serving.
  const onUnexpected = (err: unknown): void => {
    if (!isBrokenOutput(err)) stamp('warn', `unexpected error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  };
  process.on('unhandledRejection', onUnexpected);
  process.on('uncaughtException', onUnexpected);
  for (const a of server.addresses()) writeLine('stdout', `listening ${a}`);
  stamp('info', `broker running (data ${dataDir}, topics ${policy}, chunk expiry ${chunkExpiryMs === undefined ? 'off' : `after ${chunkExpiryMs} ms`}, relay ${relay === false ? 'off' : 'on'}, overlay ${overlay === false ? 'off' : `on, ${overlay.bootstrap.length} bootstrap broker(s)`}); SIGTERM or Ctrl-C stops it`);

  await new Promise<void>((resolveSignal) => {
    const onSignal = (sig: string): void => {
      stamp('info', `received ${sig}`);
      exitAfter(STOP_DEADLINE_MS, 1);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolveSignal();
    };
    const onTerm = (): void => onSignal('SIGTERM');
    const onInt = (): void => onSignal('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
  await server.stop();
  return 0;
}

/** Seconds a Node timer can wait (2^31 - 1 ms, about 24.8 days): longer ones would fire at once. */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

function timerSeconds(name: string, v: string | number | undefined): number | undefined {
  const n = positiveInt(name, v);
  if (n !== undefined && n > MAX_TIMER_SECONDS) throw new UsageError(`--${name} must be at most ${MAX_TIMER_SECONDS}, got "${v}"`);
  return n;
}

/** The relay's limits from flags and the config file (seconds there, milliseconds in RelayServerOptions); false: no relay. */
function relayOptions(values: Record<string, string | boolean | string[] | undefined>, file: BrokerFileConfig): RelayServerOptions | false {
  if (values['no-relay'] === true || file.relay === false) return false;
  const flag = (name: string): string | undefined => values[name] as string | undefined;
  const maxReservations = positiveInt('relay-max-reservations', flag('relay-max-reservations') ?? file.relayMaxReservations);
  const reservationSeconds = timerSeconds('relay-reservation-seconds', flag('relay-reservation-seconds') ?? file.relayReservationSeconds);
  const connectionBytes = positiveInt('relay-connection-bytes', flag('relay-connection-bytes') ?? file.relayConnectionBytes);
  const connectionSeconds = timerSeconds('relay-connection-seconds', flag('relay-connection-seconds') ?? file.relayConnectionSeconds);
  return {
    ...(maxReservations !== undefined ? { maxReservations } : {}),
    ...(reservationSeconds !== undefined ? { reservationMs: reservationSeconds * 1000 } : {}),
    ...(connectionBytes !== undefined ? { connectionBytes } : {}),
    ...(connectionSeconds !== undefined ? { connectionMs: connectionSeconds * 1000 } : {}),
  };
}

/**
 * The overlay's settings; false: no overlay. `--peer-broker` once kept a direct link that
 * synced every topic both brokers carried; topics now travel only along their rings, so it
 * is a bootstrap address (with a note on start), and nothing without the overlay.
 */
function overlayOptions(values: Record<string, string | boolean | string[] | undefined>, file: BrokerFileConfig): { bootstrap: string[]; periodMs?: number } | false {
  const peerBrokers = (values['peer-broker'] as string[] | undefined) ?? file.peerBrokers ?? [];
  const bootstrap = [...((values.bootstrap as string[] | undefined) ?? file.bootstrap ?? []), ...peerBrokers];
  if (values['no-overlay'] === true || file.overlay === false) {
    if (bootstrap.length > 0) throw new UsageError('--bootstrap and --peer-broker join the overlay of brokers, which --no-overlay turns off: without it a broker carries no share to or from another broker. Drop one or the other.');
    return false;
  }
  if (peerBrokers.length > 0) stamp('warn', '--peer-broker is deprecated: it is now the same as --bootstrap (the broker joins the overlay through it; shares travel along their rings, not over a link to it)');
  const gossipMs = positiveInt('gossip-ms', (values['gossip-ms'] as string | undefined) ?? file.gossipMs);
  return { bootstrap, ...(gossipMs ? { periodMs: gossipMs } : {}) };
}

async function status(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { data: { type: 'string' } } });
  const dataDir = resolve(values.data ?? DEFAULT_DATA);
  let pid: number | undefined;
  try {
    pid = Number((await readFile(join(dataDir, 'LOCK'), 'utf8')).trim());
  } catch {
    pid = undefined;
  }
  const running = pid !== undefined && Number.isSafeInteger(pid) && pid > 0 && processAlive(pid);
  let st: BrokerStatusFile | undefined;
  try {
    st = JSON.parse(await readFile(join(dataDir, 'status.json'), 'utf8')) as BrokerStatusFile;
  } catch {
    st = undefined;
  }
  console.log(`broker:    ${running ? `running (pid ${pid})` : 'not running'}`);
  console.log(`data:      ${dataDir}`);
  if (!st) {
    console.log('status:    no status file (the broker never ran with this data directory)');
    return running ? 0 : 3;
  }
  console.log(`peer key:  ${st.peerKey}`);
  if (running) for (const a of st.addresses) console.log(`listening: ${a}`);
  console.log(`policy:    topics ${st.policy}`);
  console.log(`clients:   ${running ? st.clients : 0}`);
  for (const p of st.peerBrokers) console.log(`peer broker: ${p.addr} ${running && p.connected ? 'connected' : 'not connected'}`);
  console.log(`topics:    ${st.topics.length}, events stored: ${st.events}, bytes: ${st.bytes}`);
  for (const t of st.topics) console.log(`  ${t.topic.slice(0, 16)}  events ${t.events}  bytes ${t.bytes}  subscribers ${running ? t.subscribers : 0}`);
  console.log(`chunks:    ${st.chunks ?? 0} stored, bytes: ${st.chunkBytes ?? 0}`);
  if (st.relay) console.log(`relay:     ${running ? st.relay.reservations : 0} slot(s) held, ${running ? st.relay.circuits ?? 0 : 0} relayed connection(s) open, ${running ? st.relay.admitted : 0} peer(s) admitted, ${st.relay.refused} reservation(s) refused`);
  for (const t of st.chunkTopics ?? []) console.log(`  ${t.topic.slice(0, 16)}  chunks ${t.chunks}  bytes ${t.bytes}`);
  console.log(`as of:     ${st.updatedAt}`);
  return running ? 0 : 3;
}
