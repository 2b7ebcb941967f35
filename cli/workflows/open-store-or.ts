// Opens the results database for a command: a foreign or damaged file, or an unknown sweep, becomes the
// command's error (the store's message already says what was wrong and what to do), and a store opened
// before the failure is closed again.
import { SpecgridError } from "../../core/errors.js";
import { openStore, type Store } from "../store/open-store.js";

export interface OpenStoreOrOptions {
  /** The sweep the command needs; an unknown one fails, listing those the database holds. */
  sweepId?: string;
  /** Only commands that store results create a missing database. @default false */
  create?: boolean;
}

export function openStoreOr(
  fail: (message: string) => never,
  file: string,
  opts: OpenStoreOrOptions = {},
): Store {
  const { sweepId } = opts;
  let store: Store | undefined;
  try {
    store = openStore(file, { create: opts.create ?? false });
    if (sweepId !== undefined) store.requireSweep(sweepId);
    return store;
  } catch (err) {
    store?.close();
    if (err instanceof SpecgridError) fail(err.message);
    throw err;
  }
}
