// Bounded CPU hogs outside this process tree, as another user's work on the host would be: a short-lived
// launcher starts `count` detached busy loops and exits, so they are re-parented away from this process
// and the host-noise probe counts them as other processes. Each loop ends by itself after `ms`.
import { spawn } from "node:child_process";

export interface CpuHogs {
  pids: number[];
  stop(): void;
}

const LAUNCHER = `
const { spawn } = require("node:child_process");
const [count, ms] = process.argv.slice(1).map(Number);
const loop = "const end = Date.now() + " + ms + "; while (Date.now() < end) {}";
const pids = [];
for (let i = 0; i < count; i++) {
  const c = spawn(process.execPath, ["-e", loop], { detached: true, stdio: "ignore" });
  c.unref();
  pids.push(c.pid);
}
process.stdout.write(JSON.stringify(pids));
`;

export async function startCpuHogs(count: number, ms: number): Promise<CpuHogs> {
  const launcher = spawn(process.execPath, ["-e", LAUNCHER, String(count), String(ms)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  launcher.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
  await new Promise<void>((resolve, reject) => {
    launcher.on("error", reject);
    launcher.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`cpu hog launcher exited ${code}`)),
    );
  });
  const pids = JSON.parse(out) as number[];
  return {
    pids,
    stop() {
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already ended by itself
        }
      }
    },
  };
}
