import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsServerOptions {
  readonly registry: Registry;
  readonly host?: string;
  readonly port?: number;
  /** What /health reports; throw or return ok: false to answer 503. */
  readonly health?: () => Promise<{ ok: boolean } & Record<string, unknown>>;
}

/** Serves Prometheus text at /metrics and a JSON /health, on 127.0.0.1 by default. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<{ server: Server; address: AddressInfo }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET') {
      response.writeHead(405, { Allow: 'GET' }).end();
      return;
    }
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => response.writeHead(200, { 'Content-Type': options.registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
      return;
    }
    if (path === '/health') {
      (options.health ?? (async () => ({ ok: true })))().then(
        (body) => response.writeHead(body.ok ? 200 : 503, { 'Content-Type': 'application/json' }).end(JSON.stringify(body)),
        (error: unknown) => response.writeHead(503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: false, error: String(error) })),
      );
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 9464, options.host ?? '127.0.0.1', () => resolve());
  });
  return { server, address: server.address() as AddressInfo };
}
