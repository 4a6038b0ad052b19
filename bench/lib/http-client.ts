import { Agent, request, type IncomingHttpHeaders } from 'node:http';

/** A response read whole. */
export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Options of one {@link LoopbackClient.request}. */
export interface RequestOptions {
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Socket inactivity limit; the request fails with `timeout` after it. */
  timeoutMs?: number;
}

/**
 * The bench's HTTP client: plain `node:http` over keep-alive sockets, so the platform and the bare
 * Fastify baseline are driven by the same client with the same per-request cost, and the client
 * itself stays cheap next to what it measures (fetch/undici costs more per request on this size).
 */
export class LoopbackClient {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(
    readonly baseUrl: string,
    maxSockets = 512,
  ) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /** Sends one request and reads the response body as text. Rejects on socket errors and timeouts. */
  request(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string | number> = { ...opts.headers };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    return new Promise<HttpResponse>((resolve, reject) => {
      const req = request(
        { host: this.host, port: this.port, method, path, headers, agent: this.agent },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (b: Buffer) => parts.push(b));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(parts).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (opts.timeoutMs !== undefined) {
        req.setTimeout(opts.timeoutMs, () => req.destroy(new Error('timeout')));
      }
      req.end(payload);
    });
  }

  /** Closes every socket. */
  close(): void {
    this.agent.destroy();
  }
}
