// Errors crossing gRPC: one pair of functions. The server turns any thrown error into a status with the
// SpecgridError data attached as metadata; the client turns the status back into a SpecgridError with the
// same code, so callers branch on `code`, never on message text.
import { Metadata, status, type ServiceError, type StatusObject } from "@grpc/grpc-js";
import { SpecgridError, toErrorData, type ErrorData } from "../errors.js";

const ERROR_DATA_KEY = "specgrid-error-bin";

// How a SpecgridError code maps to a gRPC status code; anything else is INTERNAL (or UNAVAILABLE if retryable).
const STATUS_BY_CODE: Record<string, status> = {
  MANIFEST_INVALID: status.INVALID_ARGUMENT,
  CONFIG_INVALID: status.INVALID_ARGUMENT,
  PARAMETER_REJECTED: status.INVALID_ARGUMENT,
  WIRE_INVALID: status.INVALID_ARGUMENT,
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  MODEL_AMBIGUOUS: status.INVALID_ARGUMENT,
  MODELS_INCOMPATIBLE: status.FAILED_PRECONDITION,
  MODEL_LACKS_HEADS: status.FAILED_PRECONDITION,
  NO_ELIGIBLE_AGENT: status.FAILED_PRECONDITION,
  MODEL_NOT_FOUND: status.FAILED_PRECONDITION,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  NOT_FOUND: status.NOT_FOUND,
  AGENT_NAME_TAKEN: status.ALREADY_EXISTS,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  UNAVAILABLE: status.UNAVAILABLE,
};

// Reverse mapping for statuses that arrive without specgrid metadata (a proxy, grpc-js itself).
const CODE_BY_STATUS: Partial<Record<status, string>> = {
  [status.INVALID_ARGUMENT]: "INVALID_ARGUMENT",
  [status.FAILED_PRECONDITION]: "FAILED_PRECONDITION",
  [status.NOT_FOUND]: "NOT_FOUND",
  [status.ALREADY_EXISTS]: "AGENT_NAME_TAKEN",
  [status.UNAUTHENTICATED]: "UNAUTHENTICATED",
  [status.UNAVAILABLE]: "UNAVAILABLE",
  [status.DEADLINE_EXCEEDED]: "UNAVAILABLE",
};

export function toGrpcStatus(err: unknown): Partial<StatusObject> {
  const data = toErrorData(err);
  const code = STATUS_BY_CODE[data.code] ?? (data.retryable ? status.UNAVAILABLE : status.INTERNAL);
  const metadata = new Metadata();
  metadata.set(ERROR_DATA_KEY, Buffer.from(JSON.stringify(data)));
  return { code, details: data.message, metadata };
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === "number";
}

export function fromGrpcError(err: unknown): SpecgridError {
  if (err instanceof SpecgridError) return err;
  if (!isServiceError(err)) {
    return new SpecgridError("INTERNAL", err instanceof Error ? err.message : String(err), { cause: err });
  }
  const raw = err.metadata?.get(ERROR_DATA_KEY)[0];
  if (raw !== undefined) {
    try {
      const data = JSON.parse(Buffer.isBuffer(raw) ? raw.toString("utf8") : raw) as ErrorData;
      return new SpecgridError(data.code, data.message, {
        retryable: data.retryable,
        details: { ...(data.details ?? {}), grpcCode: err.code },
        cause: err,
      });
    } catch {
      // fall through to the status code alone
    }
  }
  const code = CODE_BY_STATUS[err.code] ?? "INTERNAL";
  const retryable = err.code === status.UNAVAILABLE || err.code === status.DEADLINE_EXCEEDED;
  return new SpecgridError(code, err.details || err.message, {
    retryable,
    details: { grpcCode: err.code },
    cause: err,
  });
}
