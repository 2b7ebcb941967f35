// The generated messages other folders name (registrations, sweep status, gRPC requests), passed through
// the wire layer: only core/wire imports proto/gen (lint's no-restricted-imports enforces it), so a change
// of generator or schema is met here. Conversions to core types live beside this file.
export {
  AgentInfo,
  CoordinatorService,
  type CoordinatorServer,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type RegisterRequest,
  type SubmitSweepRequest,
  type SubmitSweepResponse,
  type SweepStatus,
} from "../../proto/gen/specgrid/v1/coordinator.js";
export type { HostFacts, InventoryModel, LlamaBuild } from "../../proto/gen/specgrid/v1/types.js";
