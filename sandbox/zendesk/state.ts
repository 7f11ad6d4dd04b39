import type { SandboxKit, SandboxRequest, SandboxResponse } from '../common/server.js';

/** The record types the Zendesk sandbox keeps in the kit's store. */
export type ZendeskType = 'ticket' | 'user' | 'organization' | 'comment' | 'webhook';

/** A stored Zendesk object: numeric id, ISO second-precision timestamps, and the fields the API returns. */
export type ZendeskRecord = Record<string, unknown> & {
  id: number | string;
  created_at: string;
  updated_at: string;
};

/** What every route module of the sandbox shares. */
export interface ZendeskState {
  kit: SandboxKit;
  /** The agent the API token belongs to; the default requester/submitter. */
  agentEmail: string;
  accountId: number;
  subdomain: string;
  /** Incremental exports leave out changes younger than this (Zendesk: one minute). */
  exportLagMs: number;
  incrementalPerMinute: number;
  idempotencyTtlMs: number;
  /** Sends a Zendesk event (`zen:event-type:…`) to every subscribed webhook. */
  emit(event: ZendeskEvent): void;
}

export interface ZendeskEvent {
  type: string;
  /** e.g. `zen:ticket:42`. */
  subject: string;
  detail: Record<string, unknown>;
  event: Record<string, unknown>;
}

export type Route = (
  state: ZendeskState,
  req: SandboxRequest,
  params: string[],
  account: string,
) => SandboxResponse | Promise<SandboxResponse>;

/** Zendesk timestamps are ISO 8601 UTC to the second (`2026-11-01T10:00:00Z`). */
export function isoSeconds(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** Clock of the sandbox, floored to the second as Zendesk stores it. */
export function nowSeconds(state: ZendeskState): number {
  return Math.floor(state.kit.now() / 1000) * 1000;
}

export function load<T extends ZendeskRecord>(state: ZendeskState, type: ZendeskType, id: number | string) {
  return state.kit.store.get<T>(type, String(id));
}

export function loadAll<T extends ZendeskRecord>(state: ZendeskState, type: ZendeskType): T[] {
  return state.kit.store.all<T>(type).map((r) => r.data);
}

export function insert<T extends ZendeskRecord>(state: ZendeskState, type: ZendeskType, data: T): T {
  state.kit.store.insert(type, String(data.id), data, {
    createdMs: Date.parse(data.created_at),
    updatedMs: Date.parse(data.updated_at),
  });
  return data;
}

export function save<T extends ZendeskRecord>(state: ZendeskState, type: ZendeskType, data: T): T {
  state.kit.store.update(type, String(data.id), data, Date.parse(data.updated_at));
  return data;
}

/** Ids as Zendesk hands them out: tickets count from 1 per account, other objects are large numbers. */
export function nextId(state: ZendeskState, type: 'ticket' | 'user' | 'organization' | 'comment'): number {
  const n = state.kit.store.nextNumber(`zendesk:${type}`);
  const base = { ticket: 0, user: 36_000_000_000, organization: 25_000_000_000, comment: 41_000_000_000 };
  return base[type] + n;
}

/** The absolute URL of an API resource as the client addressed the sandbox. */
export function apiUrl(req: SandboxRequest, path: string): string {
  return `${req.url.origin}/api/v2/${path}.json`;
}
