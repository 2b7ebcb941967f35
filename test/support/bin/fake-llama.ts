// Executable body of the fake llama.cpp tools written by installReplayLlama (see ../replay-llama.ts).
import { replayLlamaMain } from "../replay-llama.js";

process.exitCode = await replayLlamaMain(process.argv.slice(2));
