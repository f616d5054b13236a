import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A schema registry that answers `GET /schemas/ids/{id}` from a table (404 otherwise), on loopback. */
export interface SchemaServer {
  readonly url: string;
  /** Schemas by id; may be added to while it runs. */
  readonly schemas: Map<number, string>;
  /** Requests answered. */
  readonly requests: () => number;
  close(): Promise<void>;
}

export async function startSchemaServer(schemas = new Map<number, string>()): Promise<SchemaServer> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    const schema = schemas.get(Number(/^\/schemas\/ids\/(\d+)/.exec(req.url ?? '')?.[1]));
    res.writeHead(schema ? 200 : 404, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
    res.end(JSON.stringify(schema ? { schema } : { error_code: 40403, message: 'Schema not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    schemas,
    requests: () => requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
