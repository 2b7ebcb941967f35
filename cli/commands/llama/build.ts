import { SpecgridCommand } from "../../workflows/specgrid-command.js";
import { Flags } from "@oclif/core";
import { buildLlama, LlamaBuildError } from "../../workflows/llama-build.js";
import type { LlamaBuildResult } from "../../workflows/llama-build.js";

export default class LlamaBuild extends SpecgridCommand {
  static override description =
    "Build llama.cpp's tools (llama-server, llama-speculative, llama-speculative-simple, llama-completion, " +
    "llama-cli, llama-parallel, llama-bench, llama-batched-bench) from the source node-llama-cpp ships, into " +
    "a cache keyed by its commit; a finished build is reused. agents probe, agent start, run and demo use it " +
    "when no --llama-bin is given. Needs Debian's cmake, build-essential and git (about 15 minutes on 2 cores).";

  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> --cuda --jobs 16 --json",
    "<%= config.bin %> <%= command.id %> --out /opt/llama.cpp",
  ];

  static override enableJsonFlag = true;

  static override flags = {
    out: Flags.string({
      description:
        "build directory (src/ and build/ go inside) [default: the user cache, keyed by commit and variant]",
    }),
    cuda: Flags.boolean({ description: "build with CUDA (needs nvcc)", default: false }),
    jobs: Flags.integer({ description: "parallel compile jobs [default: the available cores]", min: 1 }),
  };

  async run(): Promise<LlamaBuildResult & { bin_dir: string }> {
    const { flags } = await this.parse(LlamaBuild);
    const quiet = this.jsonEnabled();
    let last = "";
    const result = await buildLlama({
      ...(flags.out !== undefined ? { out: flags.out } : {}),
      cuda: flags.cuda,
      ...(flags.jobs !== undefined ? { jobs: flags.jobs } : {}),
      onProgress: (phase, percent) => {
        const line = percent === undefined ? phase : `${phase} ${percent}%`;
        if (quiet || line === last) return;
        last = line;
        process.stderr.write(process.stderr.isTTY ? `\r${line.padEnd(20)}` : `${line}\n`);
      },
    }).catch((err: unknown) => {
      if (err instanceof LlamaBuildError) this.error(err.message, { exit: 1 });
      throw err;
    });
    if (!quiet && process.stderr.isTTY && last !== "") process.stderr.write("\n");
    this.log(
      result.reused
        ? `llama.cpp ${result.commit.slice(0, 12)} (${result.variant}) already built`
        : `built llama.cpp ${result.commit.slice(0, 12)} (${result.variant}) in ${(result.buildMs / 60_000).toFixed(1)} min`,
    );
    this.log(result.binDir);
    return { ...result, bin_dir: result.binDir };
  }
}
