/**
 * `POST /hooks/{path}`: the webhook trigger. Order of checks, cheapest and safest first:
 * flow lookup → body size (declared, then counted while streaming) → signature over the raw
 * bytes → body parsing → dedupe key → ingest. Only a signed caller learns why its body failed
 * to parse, and the event is committed before any 2xx is sent (ingest resolves after commit).
 *
 * @module
 */
import { IncomingMessage } from 'node:http';
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context, Env } from 'hono';
import { WeftError } from '../contract/errors.js';
import type { Step } from '../contract/flow.js';
import type { FlowResponse } from '../engine/ingest-port.js';
import type { Logger } from '../observability/logger.js';
import { type ExtractDedupeKey, extractDedupeKey, verifySignature } from '../trigger/webhook-signature.js';
import type { ApiDeps } from './deps.js';
import { ErrorBody, errorResponse } from './errors.js';
import { locateJsonError } from './json-error.js';
import { IngestResultSchema } from './schemas.js';

const prefix = '/hooks/';

/** Headers that carry credentials; they never reach event payloads, journals or logs. */
const droppedHeaders = new Set(['authorization', 'proxy-authorization', 'cookie']);

/**
 * Reads a request body up to `limit` bytes. Rejects at once when Content-Length already says it
 * is too big, and otherwise counts the streamed bytes, so a chunked upload cannot exhaust memory.
 */
export async function readBodyLimited(req: Request, limit: number): Promise<Buffer | 'too_large'> {
  const declared = req.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) return 'too_large';
  if (!req.body) return Buffer.alloc(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      return 'too_large';
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/**
 * `readBodyLimited` over the Node request itself. Under @hono/node-server, touching
 * `Request.body` builds a web ReadableStream, an AbortController and an undici Request per
 * request; reading the IncomingMessage directly skips all of that (measured: about a tenth of the
 * server's CPU per webhook under load, see docs/benchmarks.md). Same limits, same result.
 */
export function readIncomingLimited(incoming: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  const declared = incoming.headers['content-length'];
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limit) {
    return Promise.resolve('too_large');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const detach = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > limit) {
        detach();
        // Paused, not destroyed: the server drains or closes the rest once the reply is sent.
        incoming.pause();
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      detach();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total));
    };
    const onError = (err: Error) => {
      detach();
      reject(err);
    };
    const onClose = () => {
      if (incoming.readableEnded) return;
      detach();
      reject(new WeftError({ code: 'invalid_input', message: 'the client closed the connection mid-body' }));
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}

/** The Node request behind `c` when served by @hono/node-server; absent under `app.request()`. */
export function nodeIncoming(c: Context): IncomingMessage | undefined {
  const env: unknown = c.env;
  if (env === null || typeof env !== 'object' || !('incoming' in env)) return undefined;
  return env.incoming instanceof IncomingMessage ? env.incoming : undefined;
}

/**
 * Turns the raw body into `event.body`: empty → null; JSON (or no content type) → parsed;
 * anything else → the text itself. Throws `invalid_input` naming the line, column and position.
 */
export function parseWebhookBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return null;
  const text = raw.toString('utf8');
  const isJson = contentType === undefined || /^application\/([\w.-]+\+)?json\b/i.test(contentType.trim());
  if (!isJson) return text;
  try {
    return JSON.parse(text);
  } catch {
    const where = locateJsonError(text);
    throw new WeftError({
      code: 'invalid_input',
      message: where
        ? `malformed JSON body at line ${where.line}, column ${where.column} (position ${where.position}): ${where.reason}`
        : 'malformed JSON body',
      details: where ? { ...where } : {},
    });
  }
}

/**
 * The dedupe key by the flow's rule (header or expression, over the payload the flow will see).
 * A failing expression refuses the delivery: accepting it without a key would let the sender's
 * retry run the flow twice.
 */
async function dedupeKeyOf(input: ExtractDedupeKey): Promise<string | null> {
  try {
    return await extractDedupeKey(input);
  } catch (err) {
    throw new WeftError({
      code: 'invalid_input',
      message: `the flow's dedupe expression failed on this delivery: ${err instanceof Error ? err.message : String(err)}`,
      cause: err,
    });
  }
}

function flowReply(response: FlowResponse): Response {
  const headers = new Headers(response.headers);
  if (response.body === undefined || response.body === null) {
    return new Response(null, { status: response.status, headers });
  }
  const type = headers.get('content-type');
  if (typeof response.body === 'string' && type !== null && !/json/i.test(type)) {
    return new Response(response.body, { status: response.status, headers });
  }
  if (type === null) headers.set('content-type', 'application/json; charset=utf-8');
  return new Response(JSON.stringify(response.body), { status: response.status, headers });
}

/** Registers `POST /hooks/*` and documents it as `/hooks/{path}`. */
export function registerWebhookRoutes<E extends Env>(app: OpenAPIHono<E>, deps: ApiDeps): void {
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/hooks/{path}',
    tags: ['webhooks'],
    summary: "Deliver an event to the flow whose webhook trigger has this path (may contain '/')",
    description:
      "Authenticated by the flow's signature check, not by bearer token. The event is committed before any 2xx. " +
      "When the flow has a respond step, the reply is that step's status, headers and body.",
    request: {
      params: z.object({
        path: z.string().openapi({
          param: { name: 'path', in: 'path' },
          example: 'crm/leads',
          description: "may contain '/'",
        }),
      }),
    },
    responses: {
      202: {
        description: 'Stored; a run is queued',
        content: { 'application/json': { schema: IngestResultSchema } },
      },
      200: { description: 'Duplicate delivery, or the flow responded' },
      400: { description: 'Malformed body', content: { 'application/json': { schema: ErrorBody } } },
      401: {
        description: 'Bad or missing signature',
        content: { 'application/json': { schema: ErrorBody } },
      },
      404: {
        description: 'No flow listens on this path',
        content: { 'application/json': { schema: ErrorBody } },
      },
      413: {
        description: 'Body larger than the flow allows',
        content: { 'application/json': { schema: ErrorBody } },
      },
      500: {
        description: "`config_error`: the flow's signing secret is not set on the server",
        content: { 'application/json': { schema: ErrorBody } },
      },
    },
  });

  app.post(`${prefix}*`, (c) => handleWebhook(c, deps));
}

async function handleWebhook(c: Context, deps: ApiDeps): Promise<Response> {
  const path = c.req.path.slice(prefix.length).replace(/\/$/, '');
  const flow = deps.flows.byWebhookPath(path);
  const trigger = flow?.definition.trigger;
  if (!flow || trigger?.kind !== 'webhook') {
    return errorResponse(c, { code: 'not_found', message: `no flow listens on /hooks/${path}` });
  }
  // Created on first use: a pino child per request costs more than the rest of the logging,
  // and the accepted path logs only at debug level.
  let child: Logger | undefined;
  const log = () => {
    child ??= deps.logger.child({ flow: flow.definition.name, hook: path });
    return child;
  };

  const incoming = nodeIncoming(c);
  const raw = incoming
    ? await readIncomingLimited(incoming, trigger.maxBodyBytes)
    : await readBodyLimited(c.req.raw, trigger.maxBodyBytes);
  if (raw === 'too_large') {
    log().warn({ limit: trigger.maxBodyBytes }, 'webhook body too large');
    // The rest of the upload is not read; closing keeps it off this connection.
    c.header('Connection', 'close');
    return errorResponse(c, {
      code: 'payload_too_large',
      message: `body exceeds ${trigger.maxBodyBytes} bytes`,
      details: { maxBodyBytes: trigger.maxBodyBytes },
    });
  }

  const signature = trigger.signature;
  if (signature) {
    const secretValue = deps.secrets.get(signature.secret);
    if (secretValue === undefined || secretValue === '') {
      // The operator's mistake: say so in the log, and tell the caller nothing about secrets.
      log().error(
        { secret: signature.secret },
        `webhook secret is not set (WEFT_SECRET_${signature.secret})`,
      );
      return errorResponse(c, {
        code: 'config_error',
        message: 'this webhook is not configured correctly; the server log has the details',
      });
    }
    const headerValue = c.req.header(signature.header);
    if (
      headerValue === undefined ||
      !verifySignature({ check: signature, secretValue, rawBody: raw, headerValue })
    ) {
      log().warn(
        { header: signature.header, present: headerValue !== undefined },
        'webhook signature rejected',
      );
      return errorResponse(c, { code: 'unauthorized', message: 'invalid or missing signature' });
    }
  }

  const body = parseWebhookBody(raw, c.req.header('content-type'));
  const signatureHeader = signature?.header.toLowerCase();
  const headers: Record<string, string> = {};
  c.req.raw.headers.forEach((value, name) => {
    const key = name.toLowerCase();
    if (!droppedHeaders.has(key) && key !== signatureHeader) headers[key] = value;
  });
  const query = c.req.query();
  const receivedAt = deps.clock.now();
  const payload = { body, headers, query };
  const dedupeKey = await dedupeKeyOf({ flow, payload, receivedAt });

  const result = await deps.ingest.ingest({
    flowName: flow.definition.name,
    source: 'webhook',
    payload,
    dedupeKey,
    ...(flow.responds ? { awaitResponseMs: trigger.respondTimeoutMs } : {}),
  });
  if (deps.logger.isLevelEnabled('debug')) {
    log().debug(
      { eventId: result.eventId, runId: result.runId, duplicate: result.duplicate },
      'webhook accepted',
    );
  }

  if (result.response) return flowReply(result.response);
  const reply = { eventId: result.eventId, runId: result.runId, duplicate: result.duplicate };
  return c.json(reply, result.duplicate ? 200 : 202);
}
