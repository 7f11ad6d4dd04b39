import type { StoreTopic, Subscription } from './port.js';

type Listener = (topic: StoreTopic) => void;

/**
 * The listeners of one store's `subscribe`, shared by both implementations. A listener that
 * throws is reported to `onError` and does not keep the others from hearing the topic: emitting
 * happens after a commit, and the commit's caller must not see a listener's failure.
 *
 * @example
 * const topics = new TopicListeners();
 * const unsubscribe = topics.add((t) => console.log(t), Promise.resolve());
 * topics.emit('runs');
 * unsubscribe();
 */
export class TopicListeners {
  private readonly listeners = new Set<Listener>();

  constructor(private readonly onError: (error: unknown) => void = () => undefined) {}

  /** How many listeners are subscribed. */
  get size(): number {
    return this.listeners.size;
  }

  /** Adds `listener`; the returned function removes it (idempotent). */
  add(listener: Listener, ready: Promise<void>, onRemoved: () => void = () => undefined): Subscription {
    // A wrapper per call, so subscribing the same function twice gives two independent subscriptions.
    const entry: Listener = (topic) => listener(topic);
    this.listeners.add(entry);
    const unsubscribe = (): void => {
      if (this.listeners.delete(entry)) onRemoved();
    };
    return Object.assign(unsubscribe, { ready });
  }

  emit(topic: StoreTopic): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(topic);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}
