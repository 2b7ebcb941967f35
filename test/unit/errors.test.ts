import { describe, expect, it } from "vitest";
import { ManifestError, RunFailedError, fromErrorData, toErrorData } from "../../core/errors.js";

describe("errors", () => {
  it("ManifestError lists every issue with file, line and path", () => {
    const e = new ManifestError("m.yaml", [
      { path: "sweep.k[0]", line: 3, column: 7, message: "must be >= 1" },
      { path: "pairs[0].draft", line: 9, message: "unknown model" },
    ]);
    expect(e.code).toBe("MANIFEST_INVALID");
    expect(e.message).toContain("m.yaml:3:7  sweep.k[0]: must be >= 1");
    expect(e.message).toContain("m.yaml:9  pairs[0].draft: unknown model");
  });

  it("round-trips through error data, keeping code and retryability", () => {
    const e = new RunFailedError("crashed", { exitCode: 139, signal: null, retryable: true });
    const back = fromErrorData(toErrorData(e));
    expect(back.code).toBe("RUN_FAILED");
    expect(back.retryable).toBe(true);
    expect(back.details.exitCode).toBe(139);
    expect(toErrorData(new Error("x"))).toEqual({ code: "INTERNAL", message: "x", retryable: true });
  });
});
