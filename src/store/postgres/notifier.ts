import pg from 'pg';
import { WeftError } from '../../contract/errors.js';
import { type StoreTopic, type Subscription, storeTopics } from '../port.js';
import { TopicListeners } from '../topics.js';

/** The one NOTIFY channel; the payload is the topic (`runs`, `flows`, `connections`). */
export const notifyChannel = 'weft';

/** Options of the LISTEN connection. */
export interface NotifierOptions {
  url: string;
  /** Lost connections and failed reconnects (they are retried; reported for the logs). */
  onError?: (error: Error) => void;
  /** First reconnect delay; it doubles per failure up to `maxBackoffMs`. Default 100. */
  minBackoffMs?: number;
  /** Default 5000. */
  maxBackoffMs?: number;
  /**
   * How often the idle LISTEN connection is asked `SELECT 1`. A connection whose server vanished
   * without closing it (host down, network cut) receives nothing and reports nothing; the ping
   * finds it. Default 30 000.
   */
  pingMs?: number;
  /** How long a ping may take before the connection is given up. Default 10 000. */
  pingTimeoutMs?: number;
}

/**
 * The LISTEN side of the PostgreSQL store: one dedicated connection (not from the pool, which
 * hands connections out and resets them), opened by the first subscriber and closed after the
 * last one leaves. When it drops (server restart, network) it reconnects with exponential
 * backoff and jitter, forever, until closed.
 *
 * Each time LISTEN is in place — the first time included — every topic is emitted once:
 * notifications sent while nobody listened are lost, so subscribers look again (a claim, a
 * registry refresh). That is also why subscribers may load their state before the LISTEN is up.
 *
 * @example
 * const notifier = new Notifier({ url, onError: (e) => logger.warn({ err: e.message }, 'LISTEN lost') });
 * const unsubscribe = notifier.subscribe((topic) => topic === 'runs' && worker.wake());
 * await unsubscribe.ready; // only tests need to wait
 */
export class Notifier {
  private readonly topics: TopicListeners;
  private readonly waiting: (() => void)[] = [];
  private client: pg.Client | undefined;
  private state: 'idle' | 'connecting' | 'listening' | 'closed' = 'idle';
  /** Bumped whenever a client is dropped, so late events of an old client are ignored. */
  private generation = 0;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: NotifierOptions) {
    this.topics = new TopicListeners((error) => this.report(error));
  }

  subscribe(listener: (topic: StoreTopic) => void): Subscription {
    if (this.state === 'closed') {
      throw new WeftError({ code: 'unavailable', message: 'the PostgreSQL store is closed' });
    }
    const ready =
      this.state === 'listening' ? Promise.resolve() : new Promise<void>((r) => this.waiting.push(r));
    const subscription = this.topics.add(listener, ready, () => this.unsubscribed());
    if (this.state === 'idle') void this.connect();
    return subscription;
  }

  /** Ends the connection for good. Readiness promises still pending stay pending. */
  async close(): Promise<void> {
    const client = this.disconnect('closed');
    if (client === undefined) return;
    // Bounded: on a half-open socket `end` waits for a goodbye that never comes.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.end().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 1_000);
      }),
    ]);
    clearTimeout(timer);
  }

  /** After the last subscriber left, the connection is not needed until the next one comes. */
  private unsubscribed(): void {
    if (this.topics.size > 0 || this.state === 'closed') return;
    const client = this.disconnect('idle');
    void client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    this.state = 'connecting';
    const client = new pg.Client({
      connectionString: this.options.url,
      application_name: 'weft-listen',
      keepAlive: true,
    });
    this.client = client;
    // Without an 'error' listener a dropped connection would crash the process.
    client.on('error', (error) => this.dropped(generation, error));
    client.on('end', () => this.dropped(generation, new Error('LISTEN connection ended')));
    client.on('notification', (message) => {
      if (generation !== this.generation || message.channel !== notifyChannel) return;
      const topic = storeTopics.find((t) => t === message.payload);
      if (topic !== undefined) this.topics.emit(topic);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${notifyChannel}`);
    } catch (error) {
      this.dropped(generation, error);
      return;
    }
    if (generation !== this.generation) return;
    this.state = 'listening';
    this.failures = 0;
    // Emitted before `ready` resolves: whoever awaits it hears only what happens afterwards.
    for (const topic of storeTopics) this.topics.emit(topic);
    for (const resolve of this.waiting.splice(0)) resolve();
    this.schedulePing(generation, client);
  }

  private dropped(generation: number, error: unknown): void {
    if (generation !== this.generation) return;
    const client = this.disconnect('connecting');
    // Not awaited: on a half-open socket `end` may wait for a reply that never comes.
    void client?.end().catch(() => undefined);
    this.report(error);
    const delay = Math.min(
      this.options.maxBackoffMs ?? 5_000,
      (this.options.minBackoffMs ?? 100) * 2 ** Math.min(this.failures, 16),
    );
    this.failures += 1;
    // Jitter: after a server restart every process reconnects, and not all in the same instant.
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = undefined;
        if (this.state === 'connecting') void this.connect();
      },
      delay * (0.5 + Math.random() / 2),
    );
    this.retryTimer.unref();
  }

  /** Forgets the current client (its late events are ignored from now on) and returns it to end. */
  private disconnect(next: 'idle' | 'connecting' | 'closed'): pg.Client | undefined {
    this.generation += 1;
    this.state = next;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearTimeout(this.pingTimer);
    this.retryTimer = undefined;
    this.pingTimer = undefined;
    const client = this.client;
    this.client = undefined;
    return client;
  }

  private schedulePing(generation: number, client: pg.Client): void {
    this.pingTimer = setTimeout(() => {
      const timeoutMs = this.options.pingTimeoutMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`LISTEN connection silent for ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      Promise.race([client.query('SELECT 1'), timeout]).then(
        () => {
          clearTimeout(timer);
          if (generation === this.generation) this.schedulePing(generation, client);
        },
        (error: unknown) => {
          clearTimeout(timer);
          this.dropped(generation, error);
        },
      );
    }, this.options.pingMs ?? 30_000);
    this.pingTimer.unref();
  }

  private report(error: unknown): void {
    this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
  }
}
