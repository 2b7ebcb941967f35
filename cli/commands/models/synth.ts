import { SpecgridCommand } from "../../workflows/specgrid-command.js";
import { Flags } from "@oclif/core";
import { LAB_DEFAULTS, synthesizeLabFamily } from "../../../core/gguf/synth-lab-family.js";
import type { LabFile, LabRole } from "../../../core/gguf/synth-lab-family.js";
import { synthesizeFamily } from "../../../core/gguf/synth-family.js";
import type { SynthRole } from "../../../core/gguf/synth-family.js";

export type SynthFamilyName = "lab" | "tiny";

export interface ModelsSynthResult {
  family: SynthFamilyName;
  out_dir: string;
  seed: number;
  /** The lab family's knobs as used (lab only). */
  lab?: {
    target_mib: number;
    target_ffn: number;
    draft_depths: number[];
    refine_scale: number;
    refine_decay: number;
    draft_confidence: number;
  };
  files: {
    file: string;
    path: string;
    role: SynthRole | LabRole;
    /** Relative noise level (tiny drafts). */
    noise?: number;
    /** Blocks kept (lab drafts). */
    depth?: number;
    bytes: number;
    sha256: string;
  }[];
}

const DEFAULT_NOISE = "0,0.01,0.02,0.05,0.2,1";
const LAB_ONLY = ["target-mib", "depths", "refine-scale", "refine-decay", "confidence"] as const;
const MB = 1e6;

export default class ModelsSynth extends SpecgridCommand {
  static override description =
    "Write a synthetic llama model family for real-inference tests and demos; deterministic for a seed.\n" +
    "lab (default): a bandwidth-bound F16 target (160 MiB unless --target-mib) and early-exit drafts " +
    "draft-d<D>.gguf (the target's first D blocks: smaller sub-networks of it, better aligned the deeper), " +
    "draft-control.gguf (independent weights, misaligned) and vocab-mismatch.gguf (a vocabulary llama.cpp " +
    "refuses to pair). See docs/models.md for what each knob does to acceptance and draft cost.\n" +
    "tiny: the 3 MB family the unit tests use: target.gguf, draft-n<level>.gguf (target plus Gaussian noise " +
    "of that fraction of each tensor's std), draft-small.gguf and vocab-mismatch.gguf.";

  static override examples = [
    "<%= config.bin %> <%= command.id %> --out models",
    "<%= config.bin %> <%= command.id %> --out /tmp/lab --target-mib 400 --depths 20,12,6,4 --json",
    "<%= config.bin %> <%= command.id %> --family tiny --out /tmp/family --noise 0,0.02,0.2,1 --seed 7",
  ];

  static override enableJsonFlag = true;

  static override flags = {
    out: Flags.string({
      description: "directory to write the .gguf files into (created if missing)",
      required: true,
    }),
    family: Flags.string({
      description: "which family: lab (bandwidth-bound target, sub-network drafts) or tiny (test models)",
      options: ["lab", "tiny"],
      default: "lab",
    }),
    seed: Flags.integer({
      description: "seed for every weight; the same seed gives identical files",
      default: 1,
    }),
    noise: Flags.string({
      description: `tiny: comma-separated relative noise levels, one draft per level (0 = identical copy) [default: ${DEFAULT_NOISE}]`,
    }),
    "target-mib": Flags.integer({
      description: `lab: target file size in MiB; its FFNs are zero-padded to reach it [default: ${LAB_DEFAULTS.targetMib}]`,
      min: 1,
    }),
    depths: Flags.string({
      description: `lab: comma-separated draft depths (blocks of the target each draft keeps, 4..24) [default: ${LAB_DEFAULTS.draftDepths.join(",")}]`,
    }),
    "refine-scale": Flags.string({
      description: `lab: eps of the first refining block (block 4); larger = every draft less aligned [default: ${LAB_DEFAULTS.refineScale}]`,
    }),
    "refine-decay": Flags.string({
      description: `lab: each refining block's eps relative to the one before; smaller = deep drafts closer to the target [default: ${LAB_DEFAULTS.refineDecay}]`,
    }),
    confidence: Flags.string({
      description: `lab: the drafts' logit scale relative to the target's (1 = as confident; < 1 flatter, so acceptance falls faster with temperature) [default: ${LAB_DEFAULTS.draftConfidence}]`,
    }),
  };

  async run(): Promise<ModelsSynthResult> {
    const { flags } = await this.parse(ModelsSynth);
    const family = flags.family as SynthFamilyName;
    if (family === "tiny") {
      const given = LAB_ONLY.filter((f) => flags[f] !== undefined);
      if (given.length > 0) {
        this.error(`--${given.join(", --")} only apply to --family lab; drop them or use --family lab`, {
          exit: 2,
        });
      }
      return this.tiny(flags.out, flags.seed, flags.noise ?? DEFAULT_NOISE);
    }
    if (flags.noise !== undefined)
      this.error("--noise only applies to --family tiny; the lab family's drafts are set by --depths", {
        exit: 2,
      });
    const o = {
      targetMib: flags["target-mib"] ?? LAB_DEFAULTS.targetMib,
      draftDepths:
        flags.depths === undefined ? [...LAB_DEFAULTS.draftDepths] : this.integers("depths", flags.depths),
      refineScale: this.number("refine-scale", flags["refine-scale"], LAB_DEFAULTS.refineScale),
      refineDecay: this.number("refine-decay", flags["refine-decay"], LAB_DEFAULTS.refineDecay),
      draftConfidence: this.number("confidence", flags.confidence, LAB_DEFAULTS.draftConfidence),
    };
    const tty = process.stderr.isTTY === true && !this.jsonEnabled();
    let shown = "";
    const files = await synthesizeLabFamily({
      outDir: flags.out,
      seed: flags.seed,
      ...o,
      onProgress: ({ file, writtenBytes, totalBytes }) => {
        if (!tty || totalBytes < 20 * MB) return;
        const line = `writing ${file}: ${(writtenBytes / MB).toFixed(0)} / ${(totalBytes / MB).toFixed(0)} MB`;
        if (line !== shown) process.stderr.write(`\r${line}`);
        shown = line;
      },
    }).catch((err: unknown) => {
      this.error(
        `models synth --family lab: ${flagNames(err instanceof Error ? err.message : String(err))}`,
        {
          exit: 2,
        },
      );
    });
    if (shown) process.stderr.write("\n");
    for (const f of files) this.log(labLine(f));
    const target = files.find((f) => f.role === "target")!;
    return {
      family,
      out_dir: flags.out,
      seed: flags.seed,
      lab: {
        target_mib: o.targetMib,
        target_ffn: target.feedForwardLength,
        draft_depths: o.draftDepths,
        refine_scale: o.refineScale,
        refine_decay: o.refineDecay,
        draft_confidence: o.draftConfidence,
      },
      files: files.map((f) => ({
        file: f.file,
        path: f.path,
        role: f.role,
        ...(f.depth === undefined ? {} : { depth: f.depth }),
        bytes: f.bytes,
        sha256: f.sha256,
      })),
    };
  }

  private async tiny(out: string, seed: number, noiseText: string): Promise<ModelsSynthResult> {
    const noise = this.parseNoise(noiseText);
    const files = await synthesizeFamily({ outDir: out, noise, seed });
    for (const f of files) {
      const level = f.noise === undefined ? "" : ` noise ${f.noise}`;
      this.log(`${f.path}  ${f.role}${level}  ${f.bytes} bytes  sha256 ${f.sha256}`);
    }
    return {
      family: "tiny",
      out_dir: out,
      seed,
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

  private number(flag: string, text: string | undefined, fallback: number): number {
    if (text === undefined) return fallback;
    const v = Number(text.trim());
    if (text.trim() === "" || !Number.isFinite(v))
      this.error(`--${flag}: "${text}" is not a number`, { exit: 2 });
    return v;
  }

  private integers(flag: string, text: string): number[] {
    const parts = text.split(",").map((s) => s.trim());
    const values = parts.map(Number);
    const bad = parts.filter((p, i) => p === "" || !Number.isInteger(values[i]));
    if (bad.length > 0) {
      this.error(
        `--${flag}: ${bad.map((b) => JSON.stringify(b)).join(", ")} is not a whole number. ` +
          `Give comma-separated depths, e.g. --${flag} ${LAB_DEFAULTS.draftDepths.join(",")}`,
        { exit: 2 },
      );
    }
    return values;
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

/** The library names its options; the command's user knows them as flags. */
function flagNames(message: string): string {
  return message
    .replace(/\btargetMib\b/g, "--target-mib")
    .replace(/\brefineScale\b/g, "--refine-scale")
    .replace(/\brefineDecay\b/g, "--refine-decay")
    .replace(/\bdraftConfidence\b/g, "--confidence")
    .replace(/^draft depth/, "--depths: draft depth")
    .replace(/^draft depths repeat/, "--depths: draft depths repeat");
}

function labLine(f: LabFile): string {
  const what =
    f.role === "draft"
      ? `draft, first ${f.depth} of the target's blocks`
      : f.role === "target"
        ? `target, ${f.blocks} blocks, FFN ${f.feedForwardLength}`
        : f.role;
  const params =
    f.parameters >= 1e6 ? `${(f.parameters / 1e6).toFixed(1)}M` : `${Math.round(f.parameters / 1e3)}K`;
  return `${f.path}  ${what}  ${params} params  ${(f.bytes / MB).toFixed(1)} MB  sha256 ${f.sha256}`;
}
