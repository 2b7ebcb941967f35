// The coordinator's own copy of each result it counted, kept on local disk rather than in process memory:
// one append-only file per running sweep, holding the messages exactly as the results stream delivered them.
// It exists for the one case the stream cannot serve: a result the stream lost after the coordinator counted
// it (a node failover, confirm-stored.ts) can only be put back from here. Nothing here is state: a restarted
// coordinator replays the stream and writes a fresh copy, and a sweep's file is removed when the sweep ends.
// A coordinator killed before close() (SIGKILL, the OOM killer) leaves its files behind: the next one removes
// them (temp dirs named after a process that is gone; every copy in a directory it is given).
import { mkdir, mkdtemp, open, readdir, rm, type FileHandle } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** Where one copy lies in its sweep's file. */
export interface SpillRef {
  offset: number;
  length: number;
}

interface SweepFile {
  handle: Promise<FileHandle>;
  /** Bytes reserved so far: appends run concurrently, each at its own offset. */
  size: number;
}

/** Reads of a sweep's file in order are batched into windows of this many bytes. */
const READ_WINDOW_BYTES = 1024 * 1024;

/** A coordinator's temp dir: this prefix, its pid, a dash and mkdtemp's suffix. */
const TEMP_PREFIX = "specgrid-coordinator-results-";
const TEMP_DIR_PID = new RegExp(`^${TEMP_PREFIX}(\\d+)-`);
const COPY_SUFFIX = ".results";

function copyPath(dir: string, sweepId: string): string {
  return path.join(dir, `${sweepId}${COPY_SUFFIX}`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, someone else's
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes the temp dirs under `root` of coordinators that are no longer running. */
async function removeOrphanedCopies(root: string): Promise<void> {
  for (const name of await readdir(root).catch(() => [])) {
    const pid = TEMP_DIR_PID.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || processAlive(Number(pid))) continue;
    await rm(path.join(root, name), { recursive: true, force: true });
  }
}

export class ResultSpill {
  private readonly files = new Map<string, SweepFile>();
  private dir: Promise<string> | undefined;

  /**
   * @param dirOption Directory for the files, this coordinator's alone (copies already in it are removed
   *   first); a fresh temp dir under `tmpRoot` (removed by close) when omitted.
   * @param tmpRoot Where temp dirs go; orphans of killed coordinators there are removed first.
   */
  constructor(
    private readonly dirOption?: string,
    private readonly tmpRoot = os.tmpdir(),
  ) {}

  private async baseDir(): Promise<string> {
    this.dir ??= this.dirOption ? this.ownDir(this.dirOption) : this.tempDir();
    return this.dir;
  }

  private async ownDir(dir: string): Promise<string> {
    await mkdir(dir, { recursive: true });
    for (const name of await readdir(dir))
      if (name.endsWith(COPY_SUFFIX)) await rm(path.join(dir, name), { force: true });
    return dir;
  }

  private async tempDir(): Promise<string> {
    await removeOrphanedCopies(this.tmpRoot);
    return mkdtemp(path.join(this.tmpRoot, `${TEMP_PREFIX}${process.pid}-`));
  }

  private file(sweepId: string): SweepFile {
    let f = this.files.get(sweepId);
    if (f === undefined) {
      const handle = this.baseDir().then((d) => open(copyPath(d, sweepId), "w+"));
      f = { handle, size: 0 };
      this.files.set(sweepId, f);
    }
    return f;
  }

  async append(sweepId: string, bytes: Uint8Array): Promise<SpillRef> {
    const f = this.file(sweepId);
    const ref = { offset: f.size, length: bytes.length };
    f.size += bytes.length;
    const fh = await f.handle;
    let written = 0;
    while (written < bytes.length) {
      const { bytesWritten } = await fh.write(bytes, written, bytes.length - written, ref.offset + written);
      written += bytesWritten;
    }
    return ref;
  }

  async read(sweepId: string, ref: SpillRef): Promise<Uint8Array | undefined> {
    const f = this.files.get(sweepId);
    if (f === undefined || ref.offset + ref.length > f.size) return undefined;
    const buf = Buffer.alloc(ref.length);
    const fh = await f.handle;
    const { bytesRead } = await fh.read(buf, 0, ref.length, ref.offset);
    return bytesRead === ref.length ? buf : undefined;
  }

  /** The copies `refs` name, in file order, read a window at a time (one pass over the file, not a read each). */
  async *readAll<T extends { ref: SpillRef }>(sweepId: string, refs: T[]): AsyncGenerator<[T, Uint8Array]> {
    const f = this.files.get(sweepId);
    if (f === undefined) return;
    const fh = await f.handle;
    const sorted = [...refs].sort((a, b) => a.ref.offset - b.ref.offset);
    let window = Buffer.alloc(0);
    let windowStart = 0;
    for (const item of sorted) {
      const { offset, length } = item.ref;
      if (offset < windowStart || offset + length > windowStart + window.length) {
        windowStart = offset;
        window = Buffer.alloc(Math.max(READ_WINDOW_BYTES, length));
        const { bytesRead } = await fh.read(window, 0, window.length, offset);
        window = window.subarray(0, bytesRead);
        if (bytesRead < length) continue;
      }
      // a copy of its own: the window buffer is reused for the next reads
      yield [item, Buffer.from(window.subarray(offset - windowStart, offset - windowStart + length))];
    }
  }

  /** The sweep ended: its copies are no longer needed. */
  async drop(sweepId: string): Promise<void> {
    const f = this.files.get(sweepId);
    if (f === undefined) return;
    this.files.delete(sweepId);
    const fh = await f.handle.catch(() => undefined);
    await fh?.close().catch(() => undefined);
    await rm(copyPath(await this.baseDir(), sweepId), { force: true });
  }

  async close(): Promise<void> {
    for (const sweepId of [...this.files.keys()]) await this.drop(sweepId);
    if (this.dir !== undefined && this.dirOption === undefined)
      await rm(await this.dir, { recursive: true, force: true });
  }
}
