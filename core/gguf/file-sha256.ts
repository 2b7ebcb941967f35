// Model files can be many GiB: hash them as a stream, never read whole.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** Lower-case hex sha256 of a file's bytes. */
export async function fileSha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
