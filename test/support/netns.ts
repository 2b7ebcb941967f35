// Separate "hosts" for runtime tests: each host is a network namespace joined to a bridge in the root
// namespace by a veth pair, so its traffic to NATS and the coordinator crosses a real link that a test can
// take down. Every address lives on links this harness created (a private /24 on the bridge) and everything
// is removed by destroy(), with a synchronous last-resort cleanup if the test process exits first.
import { execFile, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** One namespace "host": its name, its address on the lab bridge, and the root-side end of its link. */
export interface NetnsHost {
  name: string;
  netns: string;
  address: string;
  /** The veth end in the root namespace, attached to the bridge: `ip link set <it> down` cuts the host off. */
  rootLink: string;
  /** argv prefix that runs a command inside the namespace (`ip netns exec NAME`). */
  execPrefix: string[];
}

async function ip(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync("ip", args, { timeout: 10_000 });
  return stdout;
}

/** Third octets of 10.231.X.0/24 already on some interface of the root namespace (another run's lab). */
async function usedSubnets(): Promise<Set<number>> {
  const used = new Set<number>();
  for (const m of (await ip("-4", "-o", "addr", "show")).matchAll(/inet 10\.231\.(\d+)\./g))
    used.add(Number(m[1]));
  return used;
}

export class NetnsLab {
  readonly hosts: NetnsHost[] = [];
  /** The root namespace's address on the bridge: bind nats-server and the coordinator here. */
  readonly rootAddress: string;
  private readonly bridge: string;
  private readonly onExit = (): void => this.destroySync();
  private destroyed = false;

  private constructor(
    private readonly id: string,
    private readonly subnet: number,
  ) {
    this.bridge = `sgb${id}`;
    this.rootAddress = `10.231.${subnet}.1`;
  }

  /**
   * A bridge with the root namespace's address on it. Throws when namespaces cannot be created (no root,
   * no iproute2, a sandbox without CAP_NET_ADMIN); use probeNetns() to decide whether to skip.
   */
  static async create(): Promise<NetnsLab> {
    // interface names are capped at 15 bytes: "sgb" / "sgh" + 6 hex + index stays well inside
    const id = randomBytes(3).toString("hex");
    const used = await usedSubnets();
    const free = Array.from({ length: 250 }, (_, i) => i + 1).filter((n) => !used.has(n));
    const subnet = free[randomBytes(1).readUInt8(0) % free.length];
    if (subnet === undefined) throw new Error("no free 10.231.X.0/24 subnet for the netns lab");
    const lab = new NetnsLab(id, subnet);
    process.once("exit", lab.onExit);
    try {
      await ip("link", "add", lab.bridge, "type", "bridge");
      await ip("addr", "add", `${lab.rootAddress}/24`, "dev", lab.bridge);
      await ip("link", "set", lab.bridge, "up");
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  /** A namespace with loopback up and one veth link to the bridge, addressed 10.231.X.(index+2). */
  async addHost(name: string): Promise<NetnsHost> {
    const index = this.hosts.length;
    const netns = `sgns-${this.id}-${index}`;
    const rootLink = `sgh${this.id}r${index}`;
    const innerLink = `sgh${this.id}i${index}`;
    const address = `10.231.${this.subnet}.${index + 2}`;
    const host: NetnsHost = { name, netns, address, rootLink, execPrefix: ["ip", "netns", "exec", netns] };
    // registered before creation so destroy() removes a half-built host too
    this.hosts.push(host);
    await ip("netns", "add", netns);
    await ip("link", "add", rootLink, "type", "veth", "peer", "name", innerLink);
    await ip("link", "set", innerLink, "netns", netns);
    await ip("link", "set", rootLink, "master", this.bridge);
    await ip("link", "set", rootLink, "up");
    await ip("netns", "exec", netns, "ip", "addr", "add", `${address}/24`, "dev", innerLink);
    await ip("netns", "exec", netns, "ip", "link", "set", innerLink, "up");
    await ip("netns", "exec", netns, "ip", "link", "set", "lo", "up");
    return host;
  }

  /** Take a host's link down (packets are dropped, TCP connections stall) or bring it back. */
  async setLink(host: NetnsHost, up: boolean): Promise<void> {
    await ip("link", "set", host.rootLink, up ? "up" : "down");
  }

  /** Kill whatever still runs in the namespaces, then remove them, their links and the bridge. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    process.off("exit", this.onExit);
    for (const h of this.hosts) {
      await killNamespacePids(h.netns);
      // deleting the namespace deletes its veth end, which takes the root-side peer with it
      await ip("netns", "del", h.netns).catch(() => undefined);
      await ip("link", "del", h.rootLink).catch(() => undefined);
    }
    await ip("link", "del", this.bridge).catch(() => undefined);
  }

  /** Same as destroy() for the process 'exit' handler, where nothing asynchronous runs. */
  private destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const h of this.hosts) {
      const pids = spawnSync("ip", ["netns", "pids", h.netns], { encoding: "utf8" }).stdout ?? "";
      for (const pid of pids.split(/\s+/).filter(Boolean)) killQuietly(Number(pid));
      spawnSync("ip", ["netns", "del", h.netns]);
      spawnSync("ip", ["link", "del", h.rootLink]);
    }
    spawnSync("ip", ["link", "del", this.bridge]);
  }
}

async function killNamespacePids(netns: string): Promise<void> {
  const pids = await ip("netns", "pids", netns).catch(() => "");
  for (const pid of pids.split(/\s+/).filter(Boolean)) killQuietly(Number(pid));
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/**
 * Whether this machine lets us create network namespaces, found by creating (and removing) one.
 * Returns undefined when it can, or the reason it cannot, for the test's skip message.
 */
export async function probeNetns(): Promise<string | undefined> {
  const netns = `sgprobe-${randomBytes(3).toString("hex")}`;
  try {
    await ip("netns", "add", netns);
    await ip("netns", "exec", netns, "ip", "link", "set", "lo", "up");
    return undefined;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    return e.code === "ENOENT"
      ? "iproute2 `ip` is not installed (apt-get install -y iproute2)"
      : `cannot create a network namespace (needs root / CAP_NET_ADMIN): ${(e.stderr ?? e.message).trim()}`;
  } finally {
    await ip("netns", "del", netns).catch(() => undefined);
  }
}
