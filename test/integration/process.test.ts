// The process runner against real child processes: exit status, output, timeouts and cancels that take
// the whole process group down (grandchildren included), and programs that do not exist.
import { describe, expect, it } from "vitest";
import { runProcess } from "../../agents/process/run-process.js";
import { processGroupAlive, startProcess } from "../../agents/process/start-process.js";

const node = process.execPath;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitGone(pid: number, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!processGroupAlive(pid)) return true;
    await sleep(50);
  }
  return false;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// A program that starts a grandchild in its own group, prints the grandchild's pid, then sleeps.
const FAMILY = `
const { spawn } = require("node:child_process");
const c = spawn(process.execPath, ["-e", "setInterval(() => {}, 1e9)"], { stdio: "ignore" });
process.stdout.write(String(c.pid) + "\\n");
process.stderr.write("working\\n");
setInterval(() => {}, 1e9);
`;

describe("runProcess", () => {
  it("returns exit code, stdout, stderr and a stderr tail", async () => {
    const r = await runProcess(
      [
        node,
        "-e",
        "process.stdout.write('out'); for (let i = 0; i < 100; i++) console.error('line ' + i); process.exit(3)",
      ],
      { timeoutMs: 20_000 },
    );
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toBe("out");
    expect(r.stderr.split("\n")).toHaveLength(101);
    expect(r.stderrTail.split("\n")).toHaveLength(40);
    expect(r.stderrTail.endsWith("line 99")).toBe(true);
    expect(r.timedOut).toBe(false);
  });

  it("passes argv untouched: no shell expansion", async () => {
    const r = await runProcess(
      [node, "-e", "console.log(JSON.stringify(process.argv.slice(1)))", "$HOME", "a b", ";rm"],
      {
        timeoutMs: 20_000,
      },
    );
    expect(JSON.parse(r.stdout)).toEqual(["$HOME", "a b", ";rm"]);
  });

  it("kills the whole process group on timeout, grandchildren included", async () => {
    const r = await runProcess([node, "-e", FAMILY], { timeoutMs: 3000, killGraceMs: 500 });
    expect(r.timedOut).toBe(true);
    expect(r.stderr).toContain("working");
    const grandchild = Number(r.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    expect(await waitGone(r.pid!)).toBe(true);
    expect(pidAlive(grandchild)).toBe(false);
  });

  it("kills the group when the signal aborts", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 800);
    const r = await runProcess([node, "-e", FAMILY], {
      timeoutMs: 60_000,
      signal: controller.signal,
      killGraceMs: 500,
    });
    expect(r.cancelled).toBe(true);
    expect(r.timedOut).toBe(false);
    expect(await waitGone(r.pid!)).toBe(true);
  });

  it("escalates to SIGKILL when SIGTERM is ignored", async () => {
    const r = await runProcess(
      [node, "-e", "process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1e9)"],
      {
        timeoutMs: 1000,
        killGraceMs: 300,
      },
    );
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe("SIGKILL");
  });

  it("reports a program that does not exist instead of throwing", async () => {
    const r = await runProcess(["/nonexistent/llama-server", "--help"], { timeoutMs: 5000 });
    expect(r.spawnError).toMatch(/ENOENT/);
    expect(r.exitCode).toBeNull();
  });
});

describe("startProcess", () => {
  it("stopGroup ends a long-running process and reports how it ended", async () => {
    const p = startProcess([node, "-e", "setInterval(() => {}, 1e9)"]);
    expect(p.running()).toBe(true);
    const exit = await p.stopGroup();
    expect(exit.signal).toBe("SIGTERM");
    expect(p.running()).toBe(false);
    expect(await waitGone(p.pid!)).toBe(true);
  });
});
