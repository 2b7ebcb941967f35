import { Command, Flags } from "@oclif/core";
import { synthesizeFamily } from "../../../core/gguf/synth-family.js";
import type { SynthRole } from "../../../core/gguf/synth-family.js";

export interface ModelsSynthResult {
  out_dir: string;
  seed: number;
  files: { file: string; path: string; role: SynthRole; noise?: number; bytes: number; sha256: string }[];
}

const DEFAULT_NOISE = "0,0.01,0.02,0.05,0.2,1";

export default class ModelsSynth extends Command {
  static override description =
    "Write a synthetic llama model family for real-inference tests and demos: target.gguf, one " +
    "draft-n<level>.gguf per noise level (the target plus Gaussian noise of that fraction of each tensor's " +
    "std; 0 is an identical copy), draft-small.gguf (independent, misaligned) and vocab-mismatch.gguf " +
    "(a vocabulary llama.cpp refuses to pair). Deterministic for a seed; a few MB per model.";

  static override examples = [
    "<%= config.bin %> <%= command.id %> --out models",
    "<%= config.bin %> <%= command.id %> --out /tmp/family --noise 0,0.02,0.2,1 --seed 7 --json",
  ];

  static override enableJsonFlag = true;

  static override flags = {
    out: Flags.string({
      description: "directory to write the .gguf files into (created if missing)",
      required: true,
    }),
    noise: Flags.string({
      description: "comma-separated relative noise levels, one draft per level (0 = identical copy)",
      default: DEFAULT_NOISE,
    }),
    seed: Flags.integer({
      description: "seed for every weight; the same seed gives identical files",
      default: 1,
    }),
  };

  async run(): Promise<ModelsSynthResult> {
    const { flags } = await this.parse(ModelsSynth);
    const noise = this.parseNoise(flags.noise);
    const files = await synthesizeFamily({ outDir: flags.out, noise, seed: flags.seed });
    for (const f of files) {
      const level = f.noise === undefined ? "" : ` noise ${f.noise}`;
      this.log(`${f.path}  ${f.role}${level}  ${f.bytes} bytes  sha256 ${f.sha256}`);
    }
    return {
      out_dir: flags.out,
      seed: flags.seed,
      files: files.map((f) => ({
        file: f.file,
        path: f.path,
        role: f.role,
        ...(f.noise === undefined ? {} : { noise: f.noise }),
        bytes: f.bytes,
        sha256: f.sha256,
      })),
    };
  }

  private parseNoise(text: string): number[] {
    const parts = text.split(",").map((s) => s.trim());
    const levels = parts.map(Number);
    const bad = parts.filter((p, i) => p === "" || !Number.isFinite(levels[i]) || levels[i]! < 0);
    if (bad.length > 0) {
      this.error(
        `--noise: ${bad.map((b) => JSON.stringify(b)).join(", ")} is not a level >= 0. ` +
          `Give comma-separated numbers, e.g. --noise ${DEFAULT_NOISE}`,
        { exit: 2 },
      );
    }
    if (new Set(levels).size !== levels.length) {
      this.error(`--noise: levels repeat in "${text}"; give each level once`, { exit: 2 });
    }
    return levels;
  }
}
