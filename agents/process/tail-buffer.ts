// Keeps only the last bytes of a stream: a failing llama.cpp run can print megabytes of loader output,
// and what explains the failure is almost always at the end.

/** A byte-bounded ring of the most recent output, cut back to whole lines when read. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private dropped = false;

  constructor(private readonly maxBytes = 16_384) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.bytes > this.maxBytes && this.chunks.length > 1) {
      const first = this.chunks.shift();
      if (first) this.bytes -= first.length;
      this.dropped = true;
    }
    if (this.bytes > this.maxBytes) {
      const only = Buffer.concat(this.chunks);
      this.chunks = [only.subarray(only.length - this.maxBytes)];
      this.bytes = this.maxBytes;
      this.dropped = true;
    }
  }

  /** The kept text; when older output was dropped, the first (partial) line is removed. */
  text(): string {
    const all = Buffer.concat(this.chunks).toString("utf8");
    if (!this.dropped) return all;
    const nl = all.indexOf("\n");
    return nl < 0 ? all : all.slice(nl + 1);
  }

  /** The last `lines` lines of the kept text. */
  lastLines(lines: number): string {
    const all = this.text().replace(/\n+$/, "");
    return all.split("\n").slice(-lines).join("\n");
  }
}
