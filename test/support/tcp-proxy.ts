import { connect, createServer, type Server, type Socket } from 'node:net';
import type { ISocketFactory } from 'kafkajs';

/**
 * A TCP proxy on loopback in front of one broker, for faults a real broker does not produce on
 * demand: `cutEvery(n)` closes the client's connection after every n-th request it forwards, in the
 * middle of that request, so the broker may or may not have written what was in it.
 */
export class TcpFaultProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private requestsSeen = 0;
  private cutAfter = 0;
  /** Connections this proxy cut. */
  cuts = 0;

  private constructor(
    private readonly target: { host: string; port: number },
    readonly port: number,
    server: Server,
  ) {
    this.server = server;
  }

  static async start(target: { host: string; port: number }): Promise<TcpFaultProxy> {
    const holder: { proxy?: TcpFaultProxy } = {};
    const server = createServer((client) => holder.proxy?.handle(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('the proxy has no address');
    return (holder.proxy = new TcpFaultProxy(target, address.port, server));
  }

  /** From now on, every n-th request written by a client is cut halfway (0: never). */
  cutEvery(n: number): void {
    this.cutAfter = n;
    this.requestsSeen = 0;
  }

  /**
   * kafkajs' socket factory that sends connections for the proxied broker through this proxy (the
   * broker's metadata names its own port, which would bypass a proxy given only as bootstrap).
   */
  socketFactory(): ISocketFactory {
    return ({ host, port, onConnect }) => {
      const viaProxy = port === this.target.port;
      const socket = connect(
        { host: viaProxy ? '127.0.0.1' : host, port: viaProxy ? this.port : port },
        onConnect,
      );
      socket.setKeepAlive(true, 60_000);
      return socket;
    };
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(client: Socket): void {
    const upstream = connect(this.target);
    this.sockets.add(client).add(upstream);
    let cut = false;
    const drop = () => {
      cut = true;
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    // Kafka requests are length-prefixed: follow their boundaries to know where each one ends.
    let header = Buffer.alloc(0);
    let remaining = 0;
    let cutThis = false;
    client.on('data', (chunk: Buffer) => {
      let offset = 0;
      while (offset < chunk.length && !cut) {
        if (remaining === 0) {
          const part = chunk.subarray(offset, offset + 4 - header.length);
          header = Buffer.concat([header, part]);
          offset += part.length;
          if (header.length < 4) return;
          remaining = header.readInt32BE(0);
          upstream.write(header);
          header = Buffer.alloc(0);
          this.requestsSeen++;
          cutThis = this.cutAfter > 0 && this.requestsSeen % this.cutAfter === 0;
          continue;
        }
        const take = Math.min(remaining, chunk.length - offset);
        const body = chunk.subarray(offset, offset + take);
        remaining -= take;
        offset += take;
        if (remaining === 0 && cutThis) {
          // The whole request reaches the broker, which may write it; its answer never comes back.
          upstream.write(body, () => {
            this.cuts++;
            drop();
          });
          return;
        }
        upstream.write(body);
      }
    });
  }
}
