/**
 * Real NATs for tests (issue 19): network namespaces joined by veth pairs, with Linux's
 * own NAT (`iptables -t nat ... MASQUERADE`) in two router namespaces.
 *
 *                         public (the internet, and the broker's host)
 *            203.0.113.1/30 |                       | 203.0.113.5/30
 *            203.0.113.2/30 |  wan             wan  | 203.0.113.6/30
 *                        router A                router B        MASQUERADE out of wan; from wan
 *              10.0.1.1/24  |  lan             lan  | 10.0.2.1/24 to lan only replies (conntrack)
 *              10.0.1.2/24  |                       | 10.0.2.2/24
 *                         home A                  home B
 *
 * The public namespace routes between the two links, and knows no route to 10.0.0.0/8:
 * the only way between the homes is out through one NAT and in through the other, and a
 * router lets in only what answers a flow its home opened (as a home router does). The
 * homes' subnets differ, so that a packet for home B's private address reaching home A's
 * side cannot be taken for a local one. Options per home: `randomPorts` (MASQUERADE
 * --random-fully: every flow leaves from a random port, so a peer cannot predict the port
 * to punch towards) and `dropUdp` (the router forwards no UDP at all).
 *
 * With `spareRouter`, a third NAT router C (wan 203.0.113.10, public side 203.0.113.9/30,
 * lan 10.0.3.1/24) waits unused; moveHome() moves a home behind it, as a laptop carried
 * from home to a café: the home's link to its router goes (its open connections hear
 * nothing more from that side) and a new one to C comes up, with a new private address
 * (10.0.3.2) and, through C's NAT, a new public one.
 *
 * Namespaces are named `weftnat-<pid>-<random>-<role>`. destroy() (call it in `after`)
 * kills what runs inside and deletes them; create() first deletes those of runs whose
 * process is gone (a run killed before its `after`). It needs root, iproute2 and
 * iptables: natUnavailable() says what is missing (the tests skip with that reason,
 * test/net/nat/nat-skip.ts; the benchmark prints it). Shared by the NAT tests and
 * `npm run bench -- nat`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { NetnsProcess } from './netns-process.js';

const exec = promisify(execFile);

export const NETNS_PREFIX = 'weftnat-';

export interface NatOptions {
  /** MASQUERADE --random-fully: each new flow gets a random public source port. Defeats hole punching. */
  randomPorts?: boolean;
  /** The router forwards no UDP, either way. */
  dropUdp?: boolean;
}

export interface NatTopologyInit {
  homeA?: NatOptions;
  homeB?: NatOptions;
  /** A third NAT router, which moveHome() moves a home behind. */
  spareRouter?: NatOptions;
}

/** A namespace and the address others reach it at. */
export interface Host {
  readonly netns: string;
  readonly address: string;
}

export interface Home extends Host {
  /** The NAT router; its `address` is the public (wan) one, what the internet sees. */
  readonly router: Host & { readonly lanAddress: string; readonly nat: Readonly<Required<NatOptions>> };
  readonly nat: Readonly<Required<NatOptions>>;
}

/** A command of the setup failed. */
export class NetnsCommandError extends Error {
  override readonly name = 'NetnsCommandError';
}

async function run(command: string, args: readonly string[]): Promise<string> {
  try {
    return (await exec(command, [...args], { timeout: 15_000 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message?: string };
    throw new NetnsCommandError(`${command} ${args.join(' ')}: ${(e.stderr ?? '').trim() || e.message}`, { cause: err });
  }
}

const ip = (...args: string[]): Promise<string> => run('ip', args);
const inNetns = (netns: string, command: string, ...args: string[]): Promise<string> => run('ip', ['netns', 'exec', netns, command, ...args]);

let support: Promise<string | undefined> | undefined;

/**
 * Why NAT namespaces cannot be built here, or undefined when they can. Checked once per
 * process, by building a namespace with a veth pair and a NAT rule and deleting it.
 */
export function natUnavailable(): Promise<string | undefined> {
  support ??= checkSupport();
  return support;
}

async function checkSupport(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  const uid = process.getuid?.();
  if (uid !== 0) return `needs root to create network namespaces and NAT rules (running as uid ${uid})`;
  try {
    await run('ip', ['-V']);
  } catch (err) {
    return `no usable \`ip\` (apt-get install iproute2): ${errorText(err)}`;
  }
  try {
    await run('iptables', ['--version']);
  } catch (err) {
    return `no usable \`iptables\` (apt-get install iptables; CI installs .ci/apt-packages): ${errorText(err)}`;
  }
  const probe = `${NETNS_PREFIX}${process.pid}-probe`;
  try {
    await ip('netns', 'add', probe);
  } catch (err) {
    return `cannot create a network namespace: ${errorText(err)}`;
  }
  try {
    await ip('-n', probe, 'link', 'add', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1');
    await inNetns(probe, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'probe0', '-j', 'MASQUERADE', '--random-fully');
    await inNetns(probe, 'iptables', '-A', 'FORWARD', '-m', 'conntrack', '--ctstate', 'ESTABLISHED', '-j', 'ACCEPT');
    return undefined;
  } catch (err) {
    return `cannot build a NAT in a namespace (veth, iptables nat, conntrack): ${errorText(err)}`;
  } finally {
    await ip('netns', 'del', probe).catch(() => {});
  }
}

/** Our namespaces on this machine: name -> pid of the run that made it. */
async function ourNamespaces(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await ip('netns', 'list')).split('\n')) {
    const name = /^(\S+)/.exec(line)?.[1];
    if (name === undefined || !name.startsWith(NETNS_PREFIX)) continue;
    out.set(name, Number(name.slice(NETNS_PREFIX.length).split('-')[0]));
  }
  return out;
}

function alive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills what still runs in a namespace, then deletes it (its veth pairs go with it). */
async function deleteNamespace(netns: string): Promise<void> {
  const pids = await ip('netns', 'pids', netns).catch(() => '');
  for (const pid of pids.split(/\s+/).filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await ip('netns', 'del', netns).catch(() => {});
}

/**
 * Deletes the namespaces of runs that are gone (killed before their `after` hook).
 * Those of live processes, this one included, are left alone: runs may go in parallel.
 * Returns the names deleted.
 */
export async function removeLeftoverNamespaces(): Promise<string[]> {
  const removed: string[] = [];
  for (const [name, pid] of await ourNamespaces()) {
    if (alive(pid)) continue;
    await deleteNamespace(name);
    removed.push(name);
  }
  return removed;
}

const PUBLIC_A = '203.0.113.1';
const ROUTER_A_WAN = '203.0.113.2';
const PUBLIC_B = '203.0.113.5';
const ROUTER_B_WAN = '203.0.113.6';
const PUBLIC_C = '203.0.113.9';
const ROUTER_C_WAN = '203.0.113.10';

type Router = Home['router'];

export class NatTopology {
  private readonly children = new Set<NetnsProcess>();
  private destroyed = false;
  /** The namespaces of this topology, in the order they are made. */
  readonly namespaces: readonly string[];

  private constructor(
    readonly runId: string,
    /** The public namespace; `address` is the one the broker listens on (reachable from both homes). */
    readonly publicHost: Host,
    private readonly homes: { homeA: Home; homeB: Home },
    /** Router C, unused until moveHome(). */
    private spare: Router | undefined,
  ) {
    this.namespaces = [publicHost.netns, homes.homeA.router.netns, homes.homeA.netns, homes.homeB.router.netns, homes.homeB.netns, ...(spare ? [spare.netns] : [])];
  }

  get homeA(): Home {
    return this.homes.homeA;
  }

  get homeB(): Home {
    return this.homes.homeB;
  }

  /** Builds the topology; on failure, removes whatever it had made and rethrows. */
  static async create(init: NatTopologyInit = {}): Promise<NatTopology> {
    await removeLeftoverNamespaces();
    const runId = `${process.pid}-${randomBytes(3).toString('hex')}`;
    const name = (role: string): string => `${NETNS_PREFIX}${runId}-${role}`;
    const nat = (o: NatOptions | undefined): Required<NatOptions> => ({ randomPorts: o?.randomPorts ?? false, dropUdp: o?.dropUdp ?? false });
    const router = (role: string, address: string, lanAddress: string, o: NatOptions | undefined): Router => ({ netns: name(role), address, lanAddress, nat: nat(o) });
    const topology = new NatTopology(
      runId,
      { netns: name('pub'), address: PUBLIC_A },
      {
        homeA: { netns: name('ha'), address: '10.0.1.2', router: router('ra', ROUTER_A_WAN, '10.0.1.1', init.homeA), nat: nat(init.homeA) },
        homeB: { netns: name('hb'), address: '10.0.2.2', router: router('rb', ROUTER_B_WAN, '10.0.2.1', init.homeB), nat: nat(init.homeB) },
      },
      init.spareRouter ? router('rc', ROUTER_C_WAN, '10.0.3.1', init.spareRouter) : undefined,
    );
    if (!exitHookInstalled) process.once('exit', removeLiveOnExit);
    exitHookInstalled = true;
    live.add(topology);
    try {
      await topology.build();
    } catch (err) {
      await topology.destroy();
      throw err;
    }
    return topology;
  }

  private async build(): Promise<void> {
    for (const netns of this.namespaces) {
      await ip('netns', 'add', netns);
      await ip('-n', netns, 'link', 'set', 'lo', 'up');
    }
    const pub = this.publicHost.netns;
    await this.link(pub, 'ra', `${PUBLIC_A}/30`, this.homeA.router.netns, 'wan', `${ROUTER_A_WAN}/30`);
    await this.link(pub, 'rb', `${PUBLIC_B}/30`, this.homeB.router.netns, 'wan', `${ROUTER_B_WAN}/30`);
    await forwarding(pub);
    await this.buildRouter(this.homeA.router, PUBLIC_A);
    await this.buildRouter(this.homeB.router, PUBLIC_B);
    await this.linkHome(this.homeA.netns, this.homeA.address, this.homeA.router);
    await this.linkHome(this.homeB.netns, this.homeB.address, this.homeB.router);
    if (this.spare) {
      await this.link(pub, 'rc', `${PUBLIC_C}/30`, this.spare.netns, 'wan', `${ROUTER_C_WAN}/30`);
      await this.buildRouter(this.spare, PUBLIC_C);
    }
  }

  /**
   * Moves a home behind the spare router C (made with `spareRouter`): its link to its router
   * goes, one to C comes up, with the address 10.0.3.2 and C's NAT and public address.
   * Returns the home as it is now (homeA / homeB say the same from then on).
   */
  async moveHome(which: 'homeA' | 'homeB'): Promise<Home> {
    const to = this.spare;
    if (to === undefined) throw new Error('moveHome() needs a topology made with spareRouter');
    const home = this.homes[which];
    // Deleting one end of a veth pair deletes both: the old router's lan goes with it.
    await ip('-n', home.netns, 'link', 'del', 'eth0');
    const moved: Home = { netns: home.netns, address: '10.0.3.2', router: to, nat: to.nat };
    await this.linkHome(moved.netns, moved.address, to);
    this.homes[which] = moved;
    this.spare = undefined;
    return moved;
  }

  /** Lets UDP through a home's router that was made with `dropUdp` (a network that unblocks it, say). */
  async allowUdp(which: 'homeA' | 'homeB'): Promise<void> {
    const home = this.homes[which];
    if (!home.nat.dropUdp) throw new Error(`${which}'s router does not drop UDP`);
    await inNetns(home.router.netns, 'iptables', '-D', 'FORWARD', '-p', 'udp', '-j', 'DROP');
    this.homes[which] = { ...home, nat: { ...home.nat, dropUdp: false } };
  }

  /** Joins a home to its router's lan (the home's side named eth0) and routes the home through it. */
  private async linkHome(home: string, address: string, router: Router): Promise<void> {
    await this.link(router.netns, 'lan', `${router.lanAddress}/24`, home, 'eth0', `${address}/24`);
    await ip('-n', home, 'route', 'add', 'default', 'via', router.lanAddress);
  }

  /** A router's default route (to the public side), forwarding and NAT; its lan comes with linkHome(). */
  private async buildRouter(home: Router, gateway: string): Promise<void> {
    const router = home.netns;
    await ip('-n', router, 'route', 'add', 'default', 'via', gateway);
    await forwarding(router);
    const iptables = (...args: string[]): Promise<string> => inNetns(router, 'iptables', ...args);
    await iptables('-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan', '-j', 'MASQUERADE', ...(home.nat.randomPorts ? ['--random-fully'] : []));
    // A home router: from outside, only replies to flows the home opened.
    await iptables('-A', 'FORWARD', '-i', 'wan', '-o', 'lan', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT');
    await iptables('-A', 'FORWARD', '-i', 'wan', '-o', 'lan', '-j', 'DROP');
    // Nor to the router itself. Dropping here also keeps the conntrack entry of such a packet
    // unconfirmed: a teammate's first hole-punching packet, arriving before ours left, would
    // otherwise hold the tuple our own outgoing flow needs, and MASQUERADE would move that
    // flow to another port (no home router behaves so; it makes every NAT "symmetric").
    await iptables('-A', 'INPUT', '-i', 'wan', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT');
    await iptables('-A', 'INPUT', '-i', 'wan', '-j', 'DROP');
    if (home.nat.dropUdp) await iptables('-I', 'FORWARD', '1', '-p', 'udp', '-j', 'DROP');
  }

  /** A veth pair from `a` (named `aName`) to `b` (named `bName`), made inside the namespaces: no name in the host's. */
  private async link(a: string, aName: string, aAddr: string, b: string, bName: string, bAddr: string): Promise<void> {
    await ip('-n', a, 'link', 'add', aName, 'type', 'veth', 'peer', 'name', bName, 'netns', b);
    await ip('-n', a, 'addr', 'add', aAddr, 'dev', aName);
    await ip('-n', b, 'addr', 'add', bAddr, 'dev', bName);
    await ip('-n', a, 'link', 'set', aName, 'up');
    await ip('-n', b, 'link', 'set', bName, 'up');
  }

  /** What destroy() does, synchronously: for a process that exits without running `after` hooks. */
  destroySync(): void {
    this.destroyed = true;
    live.delete(this);
    for (const child of this.children) if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
    for (const netns of this.namespaces) {
      try {
        execFileSync('ip', ['netns', 'del', netns], { stdio: 'ignore' });
      } catch {
        // not made, or already gone
      }
    }
  }

  /** Runs `command args...` inside `host`'s namespace (with `env` added to ours); destroy() kills it if it still runs. */
  spawn(host: Host, command: string, args: readonly string[], env: Readonly<Record<string, string>> = {}): NetnsProcess {
    if (this.destroyed) throw new Error('the NAT topology was destroyed');
    const child = new NetnsProcess(host.netns, command, args, env);
    this.children.add(child);
    void child.exited.then(() => this.children.delete(child));
    return child;
  }

  /** Kills every process started with spawn() and anything else inside, then deletes the namespaces. Idempotent. */
  async destroy(): Promise<void> {
    this.destroyed = true;
    live.delete(this);
    await Promise.all([...this.children].map((c) => c.kill()));
    const existing = await ourNamespaces().catch(() => new Map<string, number>());
    for (const netns of this.namespaces) if (existing.has(netns)) await deleteNamespace(netns);
  }
}

/** Topologies not yet destroyed: removed when the process exits without its `after` hooks (mocha --exit, an uncaught error). */
const live = new Set<NatTopology>();
let exitHookInstalled = false;

function removeLiveOnExit(): void {
  for (const topology of [...live]) topology.destroySync();
}

async function forwarding(netns: string): Promise<void> {
  await inNetns(netns, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward');
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
