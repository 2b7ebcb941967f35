// The one conversion layer between proto/gen and core types.
export * from "./cell-wire.js";
export * from "./shard-wire.js";
export * from "./cell-result-wire.js";
export * from "./nats-payloads.js";
export * from "./grpc-status.js";
export * from "./coordinator-client.js";
export * from "./agent-info-wire.js";
