// By hand, on a demo's database: `npx tsx test/support/check-lab-demo.ts specgrid-demo/specgrid.sqlite`
// prints each of the demo's claims with its figures, and exits 1 when one does not hold.
import { openStore } from "../../cli/store/open-store.js";
import { contendedCells, labDemoClaims } from "./lab-demo-claims.js";

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write("usage: tsx test/support/check-lab-demo.ts DEMO_DIR/specgrid.sqlite\n");
  process.exit(2);
}
const store = openStore(file);
try {
  const sweeps = store.listSweeps();
  const sweep = sweeps[sweeps.length - 1];
  if (sweep === undefined) throw new Error(`${file} holds no sweep; run specgrid demo first`);
  const claims = labDemoClaims(store, sweep.sweepId, {
    aligned: "target+draft-d20",
    moderate: "target+draft-d7",
    control: "target+draft-control",
  });
  const { contended, total } = contendedCells(store, sweep.sweepId);
  process.stdout.write(`${contended} of ${total} results ran contended (marked by the agent)\n`);
  for (const c of claims)
    process.stdout.write(
      `${c.holds ? "HOLDS" : "FAILS"}  ${c.claim}${c.needsQuietHost ? " [needs a quiet host]" : ""}\n       ${c.figures}\n`,
    );
  process.exitCode = claims.every((c) => c.holds) ? 0 : 1;
} finally {
  store.close();
}
