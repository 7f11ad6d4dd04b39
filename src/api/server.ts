/**
 * Serves an app over HTTP with @hono/node-server.
 *
 * @module
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Env } from 'hono/types';

export interface HttpServer {
  /** The bound port (the real one when 0 was asked for). */
  port: number;
  /** Stops accepting connections, ends idle keep-alive ones and resolves when all are closed. */
  close(): Promise<void>;
}

/**
 * Listens on `host:port`; resolves once bound, rejects when the port cannot be bound.
 *
 * @example
 * const server = await startHttpServer({ app, host: '127.0.0.1', port: 0 });
 * await fetch(`http://127.0.0.1:${server.port}/health`);
 * await server.close();
 */
export function startHttpServer<E extends Env>(opts: {
  app: Hono<E>;
  host: string;
  port: number;
}): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    // node-server's default (http.createServer) yields a plain http.Server.
    const server = serve({ fetch: opts.app.fetch, hostname: opts.host, port: opts.port }) as Server;
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      const port = (server.address() as AddressInfo).port;
      resolve({
        port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            // Keep-alive sockets would otherwise hold close() open until they time out.
            server.closeIdleConnections();
          }),
      });
    });
  });
}
