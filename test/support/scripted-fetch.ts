/** One answer a {@link scriptedFetch} plays back. */
export interface ScriptedAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A request as a {@link scriptedFetch} recorded it. */
export interface RecordedRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/**
 * A `fetch` for connector unit tests: records every request and plays back the answers in order
 * (the last one repeats), as JSON.
 *
 * @example
 * const { requests, fetchFn } = scriptedFetch({ status: 200, body: { result: [] } });
 * connect(connector, connection, { fetch: fetchFn });
 */
export function scriptedFetch(...answers: ScriptedAnswer[]): {
  requests: RecordedRequest[];
  fetchFn: typeof fetch;
} {
  const requests: RecordedRequest[] = [];
  const fetchFn = (async (url: string | URL | Request, init?: RequestInit) => {
    requests.push({
      url: new URL(String(url)),
      method: init?.method ?? 'GET',
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: init?.body as string | undefined,
    });
    const a = answers[Math.min(requests.length - 1, answers.length - 1)] as ScriptedAnswer;
    return new Response(a.body === undefined ? null : JSON.stringify(a.body), {
      status: a.status,
      headers: { 'content-type': 'application/json', ...a.headers },
    });
  }) as typeof fetch;
  return { requests, fetchFn };
}
