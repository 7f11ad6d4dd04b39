import type { AuditInput } from '../store/port.js';
import type { EventPayload, EventSource } from '../store/records.js';

/** A synchronous reply produced by a flow's `respond` step. */
export interface FlowResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface IngestRequest {
  flowName: string;
  source: EventSource;
  payload: EventPayload;
  dedupeKey: string | null;
  audit?: AuditInput;
  /** Run the flow at once in this process and wait up to this long for its `respond` step. */
  awaitResponseMs?: number;
  /**
   * The caller already holds a slot of this process's worker (`Worker.reserveSlot`): the run
   * starts inline in it, or the slot is given back (a duplicate, a flow with a concurrency limit,
   * a failure).
   */
  slotReserved?: boolean;
  /** For schedule ticks: moves the schedule cursor in the same transaction. */
  scheduleTick?: { tickAt: number };
}

export interface IngestResult {
  eventId: string;
  runId: string | null;
  /** The dedupe key was seen before: nothing new was stored or run. */
  duplicate: boolean;
  /** Present when the flow responded within `awaitResponseMs`. */
  response?: FlowResponse;
}

/**
 * How triggers hand Events to the engine. `ingest` resolves only after the Event and its Run are
 * committed, so a trigger may acknowledge its caller as soon as it returns.
 */
export interface Ingest {
  ingest(request: IngestRequest): Promise<IngestResult>;
}
