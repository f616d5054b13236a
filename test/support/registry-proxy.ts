import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** What the proxy does with the next request instead of forwarding it to the real registry. */
export type Fault = 500 | 503 | 429 | 400 | 404 | 401 | 'reset' | 'hang';

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
}

/**
 * An HTTP proxy in front of the real schema registry that injects faults a real server will not
 * produce on demand (a 500, a 429, a dropped connection, no answer at all) and records every request.
 * Everything else reaches the real registry unchanged.
 */
export class RegistryProxy {
  readonly seen: SeenRequest[] = [];
  private readonly faults: Fault[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly hung: ServerResponse[] = [];
  private readonly server = createServer((req, res) => this.handle(req, res));
  /** When set, requests without `Authorization: Bearer <token>` get a 401. */
  requiredBearer: string | undefined;

  private constructor(private readonly target: URL) {
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Listens on `port` (any free one by default; the port of a stopped proxy brings it back). */
  static async start(targetBaseUrl: string, port = 0): Promise<RegistryProxy> {
    const proxy = new RegistryProxy(new URL(targetBaseUrl));
    await new Promise<void>((resolve) => proxy.server.listen(port, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('proxy not listening');
    return address.port;
  }

  /** The proxy's equivalent of the target base URL. */
  get url(): string {
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('proxy not listening');
    return `http://127.0.0.1:${address.port}${this.target.pathname.replace(/\/$/, '')}`;
  }

  /** The next requests, in order, meet these faults. */
  inject(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  /** Resolves once the proxy has received `count` requests in all. */
  async received(count: number): Promise<void> {
    while (this.seen.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /** Stops listening and drops every connection, as a registry that goes away would. */
  async stop(): Promise<void> {
    for (const res of this.hung) res.destroy();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const authorization = req.headers.authorization;
    this.seen.push({ method: req.method ?? 'GET', path: req.url ?? '/', authorization });
    const fault = this.faults.shift();
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === 'hang') {
      this.hung.push(res);
      return;
    }
    if (typeof fault === 'number') {
      res.writeHead(fault, {
        'content-type': 'application/json',
        ...(fault === 429 ? { 'retry-after': '0' } : {}),
      });
      res.end(JSON.stringify({ error_code: fault === 404 ? 40401 : fault, message: `injected ${fault}` }));
      return;
    }
    if (this.requiredBearer !== undefined && authorization !== `Bearer ${this.requiredBearer}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error_code: 40101, message: 'token expired' }));
      return;
    }
    const relative = (req.url ?? '/').slice(this.target.pathname.replace(/\/$/, '').length);
    const upstream = request(
      {
        host: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: `${this.target.pathname.replace(/\/$/, '')}${relative}`,
        headers: { ...req.headers, host: this.target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}
