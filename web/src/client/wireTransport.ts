/** A transport's DTLS parameters go to the server when mediasoup-client connects it (send and receive alike). */
import type { types as msTypes } from 'mediasoup-client';
import type { Connection } from './connection';

export function wireTransport(conn: Connection, transport: msTypes.Transport): void {
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    conn.request('connectTransport', { transportId: transport.id, dtlsParameters }).then(() => callback(), errback);
  });
}
