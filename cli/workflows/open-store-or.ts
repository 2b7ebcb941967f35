// Opens the results database for a command: a foreign or damaged file, or an unknown sweep, becomes the
// command's error (the store's message already says what was wrong and what to do), and a store opened
// before the failure is closed again.
import { SpecgridError } from "../../core/errors.js";
import { openStore, type Store } from "../store/open-store.js";

export function openStoreOr(fail: (message: string) => never, file: string, sweepId?: string): Store {
  let store: Store | undefined;
  try {
    store = openStore(file);
    if (sweepId !== undefined) store.requireSweep(sweepId);
    return store;
  } catch (err) {
    store?.close();
    if (err instanceof SpecgridError) fail(err.message);
    throw err;
  }
}
