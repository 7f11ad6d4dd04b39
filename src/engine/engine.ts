import { WeftError } from '../contract/errors.js';
import { newId } from '../contract/ids.js';
import type { CompiledFlow } from '../flow/compiled.js';
import type { Store } from '../store/port.js';
import type { EventRecord, RunRecord } from '../store/records.js';
import type { Ingest, IngestRequest, IngestResult } from './ingest-port.js';
import type { Worker } from './worker.js';

export interface EngineDeps {
  store: Store;
  /** The current FlowVersion of a flow by name. */
  currentFlow(name: string): CompiledFlow | undefined;
  /** Absent in a process that only serves (cluster `serve` role): runs then wait for a worker. */
  worker: Worker | undefined;
  now(): number;
}

/**
 * The front door of the engine: turns an inbound fact into a committed Event and Run. When this
 * process has a free worker slot the run is created already leased to it and starts at once, in
 * the same process, without a claim round-trip; otherwise it waits in the queue for any worker.
 */
export class Engine implements Ingest {
  constructor(private readonly deps: EngineDeps) {}

  async ingest(request: IngestRequest): Promise<IngestResult> {
    const flow = this.deps.currentFlow(request.flowName);
    if (flow === undefined) {
      throw new WeftError({ code: 'not_found', message: `no flow named ${request.flowName} is deployed` });
    }
    const now = this.deps.now();
    const worker = this.deps.worker;
    const inline = worker?.tryReserve() ?? false;
    const event: EventRecord = {
      id: newId('evt', now),
      flowName: flow.version.flowName,
      source: request.source,
      dedupeKey: request.dedupeKey,
      payload: request.payload,
      receivedAt: now,
    };
    const runId = newId('run', now);
    let result: Awaited<ReturnType<Store['acceptEvent']>>;
    try {
      result = await this.deps.store.acceptEvent({
        event,
        run: { id: runId, flowVersionId: flow.version.id, runAt: now },
        ...(inline && worker
          ? { claim: { owner: worker.options.owner, leaseMs: worker.options.leaseMs } }
          : {}),
        ...(request.scheduleTick
          ? { scheduleTick: { flowName: flow.version.flowName, tickAt: request.scheduleTick.tickAt } }
          : {}),
        ...(request.audit ? { audit: request.audit } : {}),
      });
    } catch (err) {
      if (inline) worker?.release();
      throw err;
    }
    if (!result.accepted) {
      if (inline) worker?.release();
      return { eventId: result.eventId, runId: result.runId, duplicate: true };
    }
    if (!inline || worker === undefined) {
      worker?.wake();
      return { eventId: event.id, runId, duplicate: false };
    }
    const run: RunRecord = {
      id: runId,
      eventId: event.id,
      flowName: flow.version.flowName,
      flowVersionId: flow.version.id,
      status: 'running',
      runAt: now,
      leaseOwner: worker.options.owner,
      leaseExpiresAt: now + worker.options.leaseMs,
      output: null,
      error: null,
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
    };
    const response = await worker.runInline({ run, event, journal: [] }, flow, request.awaitResponseMs);
    return { eventId: event.id, runId, duplicate: false, ...(response ? { response } : {}) };
  }
}
