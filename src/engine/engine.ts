import { WeftError } from '../contract/errors.js';
import { newId } from '../contract/ids.js';
import type { CompiledFlow } from '../flow/compiled.js';
import type { AcceptEventResult, ClaimedRun, Store } from '../store/port.js';
import type { EventRecord, RunRecord } from '../store/records.js';
import type { FlowResponse, Ingest, IngestRequest, IngestResult } from './ingest-port.js';
import type { Speculation } from './run-executor.js';
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
 *
 * When the caller waits for the flow's reply (a webhook with a `respond` step), the run's leading
 * pure steps (map, branch, respond) are executed before the commit and written in the same
 * transaction as the event and run. Nothing is acknowledged before that commit, and nothing but
 * pure computation happens before it: the first write to another system, or a wait, runs only
 * after it. A duplicate delivery discards the speculative work.
 */
export class Engine implements Ingest {
  constructor(private readonly deps: EngineDeps) {}

  async ingest(request: IngestRequest): Promise<IngestResult> {
    const flow = this.deps.currentFlow(request.flowName);
    const held = request.slotReserved === true;
    if (flow === undefined) {
      if (held) this.deps.worker?.release();
      throw new WeftError({ code: 'not_found', message: `no flow named ${request.flowName} is deployed` });
    }
    const now = this.deps.now();
    const worker = this.deps.worker;
    // A flow with a concurrency limit is never run inline: only a claim counts its running runs,
    // so its runs always go through the queue (and wake a worker there).
    const limit = flow.definition.concurrency;
    const inline = limit === undefined && (held || (worker?.tryReserve() ?? false));
    if (held && !inline) worker?.release();
    const event: EventRecord = {
      id: newId('evt', now),
      flowName: flow.version.flowName,
      source: request.source,
      dedupeKey: request.dedupeKey,
      payload: request.payload,
      receivedAt: now,
    };
    const runId = newId('run', now);
    const claim =
      inline && worker ? { owner: worker.options.owner, leaseMs: worker.options.leaseMs } : undefined;
    const run: RunRecord = {
      id: runId,
      eventId: event.id,
      flowName: flow.version.flowName,
      flowVersionId: flow.version.id,
      status: 'running',
      runAt: now,
      leaseOwner: claim?.owner ?? null,
      leaseExpiresAt: claim ? now + claim.leaseMs : null,
      output: null,
      error: null,
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
    };
    // A caller waiting for the flow's reply waits for its pure steps anyway: run them before the
    // commit, and commit what they did with the event and run, in one write instead of two.
    const speculation =
      claim && worker && request.awaitResponseMs !== undefined
        ? await this.speculate(worker, { run, event, journal: [] }, flow)
        : undefined;
    let result: AcceptEventResult;
    try {
      result = await this.deps.store.acceptEvent({
        event,
        run: {
          id: runId,
          flowVersionId: flow.version.id,
          runAt: now,
          ...(limit === undefined ? {} : { concurrency: limit }),
        },
        ...(claim ? { claim } : {}),
        ...(speculation ? { progress: speculation.progress } : {}),
        ...(request.scheduleTick
          ? { scheduleTick: { flowName: flow.version.flowName, tickAt: request.scheduleTick.tickAt } }
          : {}),
        ...(request.audit ? { audit: request.audit } : {}),
      });
      if (result.accepted && speculation && claim && result.progressSaved !== true) {
        await this.deps.store.saveProgress({ ...speculation.progress, runId, owner: claim.owner });
      }
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
    if (speculation?.finished) {
      worker.release();
      return withResponse({ eventId: event.id, runId, duplicate: false }, speculation.response);
    }
    // The rest runs in the worker, replaying the committed steps. A reply already committed is
    // sent now; the run goes on without the caller.
    const committedReply = speculation?.response;
    const response = worker.runInline(
      { run, event, journal: speculation?.progress.journal ?? [] },
      flow,
      committedReply === undefined ? request.awaitResponseMs : undefined,
    );
    return withResponse({ eventId: event.id, runId, duplicate: false }, committedReply ?? (await response));
  }

  /**
   * Undefined when speculation itself failed (a bug, since steps turn their errors into
   * outcomes): the run then takes the ordinary path, which reports the failure where it belongs.
   */
  private async speculate(
    worker: Worker,
    claimed: ClaimedRun,
    flow: CompiledFlow,
  ): Promise<Speculation | undefined> {
    try {
      return await worker.speculate(claimed, flow);
    } catch {
      return undefined;
    }
  }
}

function withResponse(result: IngestResult, response: FlowResponse | undefined): IngestResult {
  return response === undefined ? result : { ...result, response };
}
