/**
 * Raw engine.io WebSockets, as a hostile client opens them: the handshake only, from a chosen
 * loopback source address, with chosen headers, and never a socket.io CONNECT packet. They answer
 * engine.io's pings, so only the server's authentication timeout can end them.
 */
import WebSocket from 'ws';

export type RawOutcome =
  | { kind: 'open'; socket: WebSocket; closed: Promise<void> }
  | { kind: 'refused'; status: number };

export function rawSocket(baseUrl: string, opts: { localAddress?: string; headers?: Record<string, string> } = {}): Promise<RawOutcome> {
  const url = `${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const socket = new WebSocket(url, { ...(opts.localAddress ? { localAddress: opts.localAddress } : {}), headers: opts.headers ?? {} });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('message', (data) => {
    if (String(data) === '2') socket.send('3');
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ kind: 'open', socket, closed }));
    socket.once('unexpected-response', (_req, res) => {
      resolve({ kind: 'refused', status: res.statusCode ?? 0 });
      socket.terminate();
    });
    socket.on('error', (err) => reject(err));
  });
}
