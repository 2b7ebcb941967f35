// Runs a TypeScript file of test/bench in a fresh Node process (tsx loader) and parses the JSON line it
// prints last. argv array, no shell; the child is killed if it outlives timeoutMs.
import { spawn } from "node:child_process";

export async function runChild<T>(script: string, args: string[], timeoutMs: number): Promise<T> {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  clearTimeout(timer);
  const last = out.trim().split("\n").pop() ?? "";
  if (code !== 0 || last === "") {
    throw new Error(`${script} exited with ${code}: ${err.slice(-2000)}`);
  }
  return JSON.parse(last) as T;
}
