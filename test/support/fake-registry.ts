import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake registry answers: a status, headers and a body — or nothing at all (`hang`). */
export interface FakeAnswer {
  readonly status?: number;
  readonly contentType?: string;
  readonly body?: string;
  /** Accept the request and never answer (a registry stuck behind a proxy). */
  readonly hang?: boolean;
}

/**
 * A local HTTP server that answers every request with the answer set last: for registry answers a real
 * registry does not give (HTML, truncated JSON, wrong shapes, a 200 carrying an error body). Listens on
 * 127.0.0.1, on a port of the system's choosing.
 */
export class FakeRegistry {
  answer: FakeAnswer = { status: 200, body: '{}' };
  /** The paths asked for, in order. */
  readonly requests: string[] = [];
  private readonly server: Server;

  private constructor(server: Server) {
    this.server = server;
  }

  static async start(): Promise<FakeRegistry> {
    const server = createServer();
    const fake = new FakeRegistry(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      fake.requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
      req.resume();
      const answer = fake.answer;
      if (answer.hang) return;
      res.writeHead(answer.status ?? 200, {
        'content-type': answer.contentType ?? 'application/vnd.schemaregistry.v1+json',
      });
      res.end(answer.body ?? '');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
