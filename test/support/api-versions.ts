/**
 * Asks a broker which APIs it offers (ApiVersions v0 over a plain socket), so a test can expect what
 * the broker it is given can do — Kafka 4's consumer group protocol (API 68), or the typed error
 * where it is missing — independently of the client under test.
 */
import { connect } from 'node:net';

export async function brokerApiVersions(broker: string): Promise<Map<number, { min: number; max: number }>> {
  const [host, port] = [
    broker.slice(0, broker.lastIndexOf(':')),
    Number(broker.slice(broker.lastIndexOf(':') + 1)),
  ];
  const clientId = Buffer.from('avrokit-tests');
  const request = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length);
  let at = request.writeInt32BE(request.length - 4, 0);
  at = request.writeInt16BE(18, at); // ApiVersions
  at = request.writeInt16BE(0, at);
  at = request.writeInt32BE(1, at); // correlation id
  at = request.writeInt16BE(clientId.length, at);
  clientId.copy(request, at);
  const answer = await new Promise<Buffer>((resolve, reject) => {
    const socket = connect({ host, port }, () => socket.write(request));
    let received = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 4 && received.length >= 4 + received.readInt32BE(0)) {
        socket.end();
        resolve(received.subarray(4, 4 + received.readInt32BE(0)));
      }
    });
    socket.on('error', reject);
  });
  // correlation id, error code, [api key, min, max]
  const versions = new Map<number, { min: number; max: number }>();
  const count = answer.readInt32BE(6);
  for (let i = 0, p = 10; i < count; i++, p += 6) {
    versions.set(answer.readInt16BE(p), { min: answer.readInt16BE(p + 2), max: answer.readInt16BE(p + 4) });
  }
  return versions;
}
