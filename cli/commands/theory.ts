import { SpecgridCommand } from "../workflows/specgrid-command.js";
import { Flags } from "@oclif/core";
import { theoryTable } from "../../core/theory/theory-table.js";

export interface TheoryResult {
  alpha: number;
  c: number;
  k_max: number;
  rows: { k: number; tokens_per_step: number; speedup: number; break_even_alpha: number | null }[];
  best_k: number;
  best_speedup: number;
}

function parseNumber(name: string, text: string, min: number, max: number): number | string {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) return `--${name} must be a number (got "${text}")`;
  if (value < min || value > max) return `--${name} must be between ${min} and ${max} (got ${value})`;
  return value;
}

export default class Theory extends SpecgridCommand {
  static override description =
    "Speculative decoding theory (Leviathan et al.): for K = 1..k-max, the expected tokens per target step " +
    "(1-α^(K+1))/(1-α), the expected speedup (1-α^(K+1))/((1-α)(Kc+1)), and the acceptance α at which each K " +
    "breaks even. α is the per-token acceptance, c the draft's forward-pass cost relative to the target's.";

  static override examples = [
    "<%= config.bin %> <%= command.id %> --alpha 0.8 --c 0.05",
    "<%= config.bin %> <%= command.id %> --alpha 0.6 --c 0.2 --k-max 8 --json",
  ];

  static override enableJsonFlag = true;

  static override flags = {
    alpha: Flags.string({ description: "per-token acceptance α, 0..1 (e.g. 0.8)", required: true }),
    c: Flags.string({
      description: "draft cost per forward pass relative to the target, >= 0 (e.g. 0.05)",
      required: true,
    }),
    "k-max": Flags.integer({ description: "largest K to tabulate", default: 16, min: 1, max: 256 }),
  };

  async run(): Promise<TheoryResult> {
    const { flags } = await this.parse(Theory);
    const alpha = parseNumber("alpha", flags.alpha, 0, 1);
    const c = parseNumber("c", flags.c, 0, 1000);
    if (typeof alpha === "string") this.error(alpha, { exit: 2 });
    if (typeof c === "string") this.error(c, { exit: 2 });
    const table = theoryTable({ alpha, c, kMax: flags["k-max"] });
    const result: TheoryResult = {
      alpha,
      c,
      k_max: flags["k-max"],
      rows: table.rows.map((r) => ({
        k: r.k,
        tokens_per_step: r.tokensPerStep,
        speedup: r.speedup,
        break_even_alpha: r.breakEvenAlpha,
      })),
      best_k: table.bestK,
      best_speedup: table.bestSpeedup,
    };
    this.render(result);
    return result;
  }

  private render(r: TheoryResult): void {
    this.log(`α = ${r.alpha}, c = ${r.c} (Leviathan et al. expected values, not measurements)`);
    this.log("   K  tokens/step  speedup  break-even α");
    for (const row of r.rows) {
      const breakEven = row.break_even_alpha === null ? "never" : row.break_even_alpha.toFixed(3);
      const mark = row.k === r.best_k ? "  ← best" : "";
      this.log(
        `${String(row.k).padStart(4)}  ${row.tokens_per_step.toFixed(3).padStart(11)}  ` +
          `${row.speedup.toFixed(2).padStart(7)}  ${breakEven.padStart(12)}${mark}`,
      );
    }
    const verdict =
      r.best_speedup < 1
        ? `speculation does not pay at this α and c: even the best K is ${r.best_speedup.toFixed(2)}× baseline`
        : `expected speedup ${r.best_speedup.toFixed(2)}×`;
    this.log(`best K = ${r.best_k}: ${verdict}`);
  }
}
