/**
 * @module flow/registry
 * The flows this process knows, compiled: the current version of each flow (for triggers) and,
 * on demand, older versions that in-flight runs still use (a run stays on its version).
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../contract/clock.js';
import { WeftError } from '../contract/errors.js';
import type { Flow } from '../contract/flow.js';
import { newId } from '../contract/ids.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/port.js';
import type { FlowVersionRecord } from '../store/records.js';
import { compileFlow } from './compile.js';
import type { CompiledFlow } from './compiled.js';
import { type ConnectorOf, checkConnections } from './connection-check.js';
import { FlowSourceError, sortProblems } from './parse.js';
import { checkFlowSource, checkFlowSourceLocated } from './validate.js';

/** The Store methods the registry needs. */
export type FlowRegistryStore = Pick<Store, 'currentFlowVersions' | 'getFlowVersion' | 'publishFlowVersion'>;

export interface FlowRegistryDeps {
  store: FlowRegistryStore;
  clock: Clock;
  logger: Logger;
  /**
   * The connector behind a Connection's name, so a deploy refuses a flow whose Connection, action
   * or trigger does not exist. Absent: not checked (the runs fail instead).
   */
  connectorOf?: ConnectorOf;
  /**
   * How many compiled versions that are not current are kept (least recently used go first).
   * @default 200
   */
  maxCachedVersions?: number;
}

export interface DeployFlow {
  source: string;
  /** Shown in problems and kept in the audit entry. */
  file: string;
  actor: string;
  /** @default clock.now() */
  now?: number;
}

/**
 * Compiled flows by name, webhook path and version id.
 *
 * Invariants: `current()`/`byWebhookPath()` reflect the store as of the last `load`/`refresh`
 * (deploys through this registry refresh it; other processes' deploys appear at the next
 * `refresh`). Listeners registered with `onChange` hear about every change of a current version.
 *
 * @example
 * const registry = new FlowRegistry({ store, clock, logger });
 * await registry.load();
 * await registry.deploy({ source, file: 'flows/leads.yaml', actor: 'user:ana' });
 * registry.byWebhookPath('leads'); // CompiledFlow
 */
export class FlowRegistry {
  private readonly store: FlowRegistryStore;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly maxCached: number;
  private readonly connectorOf: ConnectorOf | undefined;
  /** Compiled versions by id, in least-recently-used order. */
  private readonly cache = new Map<string, CompiledFlow>();
  private readonly loading = new Map<string, Promise<CompiledFlow>>();
  private readonly listeners = new Set<() => void>();
  private byName = new Map<string, CompiledFlow>();
  private byPath = new Map<string, CompiledFlow>();
  private refreshQueue: Promise<void> = Promise.resolve();

  constructor(deps: FlowRegistryDeps) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.maxCached = deps.maxCachedVersions ?? 200;
    this.connectorOf = deps.connectorOf;
  }

  /** Loads the current version of every flow. */
  load(): Promise<void> {
    return this.refresh();
  }

  /** The current version of a flow. */
  current(name: string): CompiledFlow | undefined {
    return this.byName.get(name);
  }

  /** The flow whose webhook trigger listens on `path`. */
  byWebhookPath(path: string): CompiledFlow | undefined {
    return this.byPath.get(path);
  }

  /** The current version of every flow, by name. */
  list(): CompiledFlow[] {
    return [...this.byName.values()].sort((a, b) => a.version.flowName.localeCompare(b.version.flowName));
  }

  /** A version by id, current or not; compiled once and cached. Throws WeftError `not_found`. */
  async version(id: string): Promise<CompiledFlow> {
    const cached = this.cache.get(id);
    if (cached !== undefined) {
      this.touch(id, cached);
      return cached;
    }
    let pending = this.loading.get(id);
    if (pending === undefined) {
      pending = this.loadVersion(id).finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  /** Parses and validates a flow file without publishing it. Throws FlowSourceError. */
  validate(source: string, file: string): { flow: Flow } {
    return { flow: checkFlowSource(source, file) };
  }

  /**
   * Validates and publishes a flow file as a new version (nothing new when the source is
   * unchanged: `created` is false), then refreshes. Throws FlowSourceError, or WeftError
   * `conflict` when another flow already listens on the same webhook path.
   */
  async deploy(input: DeployFlow): Promise<{ version: FlowVersionRecord; created: boolean }> {
    const { flow, locator } = checkFlowSourceLocated(input.source, input.file);
    if (this.connectorOf !== undefined) {
      const problems = await checkConnections(flow, locator, this.connectorOf);
      if (problems.length > 0) throw new FlowSourceError(sortProblems(problems));
    }
    const now = input.now ?? this.clock.now();
    if (flow.trigger.kind === 'webhook') await this.assertPathFree(flow.name, flow.trigger.path);

    const sourceHash = createHash('sha256').update(input.source).digest('hex');
    const result = await this.store.publishFlowVersion({
      id: newId('fv', now),
      flowName: flow.name,
      source: input.source,
      sourceHash,
      definition: flow,
      createdAt: now,
      createdBy: input.actor,
      audit: {
        actor: input.actor,
        action: 'flow.deploy',
        target: flow.name,
        data: { file: input.file, sourceHash },
        at: now,
      },
    });
    this.logger.info(
      { flow: flow.name, version: result.version.version, created: result.created },
      result.created ? 'flow deployed' : 'flow unchanged',
    );
    await this.refresh();
    return result;
  }

  /**
   * Reloads current versions from the store and tells listeners if any changed. Calls are
   * serialised, so overlapping refreshes cannot apply an older snapshot last.
   */
  refresh(): Promise<void> {
    const run = this.refreshQueue.then(() => this.reload());
    this.refreshQueue = run.catch(() => undefined);
    return run;
  }

  /** Calls `listener` after the set of current versions changed; returns an unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private async reload(): Promise<void> {
    const records = await this.store.currentFlowVersions();
    const byName = new Map<string, CompiledFlow>();
    const byPath = new Map<string, CompiledFlow>();
    for (const record of records) {
      const compiled = this.compileCached(record);
      if (compiled === undefined) continue;
      byName.set(record.flowName, compiled);
      const trigger = record.definition.trigger;
      if (trigger.kind !== 'webhook') continue;
      const other = byPath.get(trigger.path);
      if (other !== undefined) {
        // Deploy refuses this, but two processes deploying at once could both pass the check.
        this.logger.error(
          { path: trigger.path, flows: [other.version.flowName, record.flowName] },
          'two flows share a webhook path; keeping the first',
        );
        continue;
      }
      byPath.set(trigger.path, compiled);
    }

    const changed =
      byName.size !== this.byName.size ||
      [...byName].some(([name, flow]) => this.byName.get(name)?.version.id !== flow.version.id);
    this.byName = byName;
    this.byPath = byPath;
    this.prune();
    if (changed) this.notify();
  }

  /** A stored version that no longer compiles is logged and left out, not fatal to the others. */
  private compileCached(record: FlowVersionRecord): CompiledFlow | undefined {
    const cached = this.cache.get(record.id);
    if (cached !== undefined) return cached;
    try {
      const compiled = compileFlow(record);
      this.cache.set(record.id, compiled);
      return compiled;
    } catch (err) {
      this.logger.error(
        { err, flow: record.flowName, versionId: record.id },
        'stored flow version does not compile',
      );
      return undefined;
    }
  }

  private async loadVersion(id: string): Promise<CompiledFlow> {
    const record = await this.store.getFlowVersion(id);
    if (record === null) {
      throw new WeftError({
        code: 'not_found',
        message: `flow version ${id} not found`,
        details: { flowVersionId: id },
      });
    }
    const compiled = this.cache.get(id) ?? compileFlow(record);
    this.touch(id, compiled);
    this.prune();
    return compiled;
  }

  private async assertPathFree(flowName: string, path: string): Promise<void> {
    const clash = (await this.store.currentFlowVersions()).find(
      (v) =>
        v.flowName !== flowName &&
        v.definition.trigger.kind === 'webhook' &&
        v.definition.trigger.path === path,
    );
    if (clash !== undefined) {
      throw new WeftError({
        code: 'conflict',
        message: `webhook path "${path}" is already used by flow ${clash.flowName}`,
        details: { path, flow: clash.flowName },
      });
    }
  }

  private touch(id: string, compiled: CompiledFlow): void {
    this.cache.delete(id);
    this.cache.set(id, compiled);
  }

  /** Drops the least recently used versions that are not current, beyond the cap. */
  private prune(): void {
    const currentIds = new Set([...this.byName.values()].map((f) => f.version.id));
    let excess = this.cache.size - currentIds.size - this.maxCached;
    for (const id of this.cache.keys()) {
      if (excess <= 0) break;
      if (currentIds.has(id)) continue;
      this.cache.delete(id);
      excess--;
    }
  }

  private notify(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (err) {
        this.logger.error({ err }, 'flow registry listener failed');
      }
    }
  }
}
