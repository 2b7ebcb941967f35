// `--version` output of llama.cpp tools (stderr, rc 0). Two shapes are in the wild:
//   version: 0.2.0-dev (build 10587, commit 3f545becc)      (current)
//   version: 4589 (1a2b3c4d)                                (older builds: the version is the build number)

export interface LlamaVersion {
  version: string;
  buildNumber?: number;
  commit?: string;
  /** e.g. `GNU 12.2.0 for Linux x86_64` */
  builtWith?: string;
}

export function parseLlamaVersion(text: string): LlamaVersion | undefined {
  const current = /version:\s*(\S+)\s*\(build\s+(\d+),\s*commit\s+([0-9a-f]+)\)/i.exec(text);
  const older = /version:\s*(\d+)\s*\(([0-9a-f]+)\)/i.exec(text);
  const builtWith = /built with\s+(.+)$/im.exec(text)?.[1]?.trim();
  const extra = builtWith === undefined ? {} : { builtWith };
  if (current) {
    return { version: current[1]!, buildNumber: Number(current[2]), commit: current[3]!, ...extra };
  }
  if (older) return { version: older[1]!, buildNumber: Number(older[1]), commit: older[2]!, ...extra };
  return undefined;
}
