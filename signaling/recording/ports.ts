/**
 * UDP port pairs for ffmpeg's RTP input: an even RTP port and the next one for RTCP, both free
 * on `ip` when checked. They are released before ffmpeg binds them (a small race another process
 * could win; ffmpeg then fails to bind, exits, and the recorder restarts on new ports).
 */
import dgram from 'node:dgram';

function bind(ip: string, port: number): Promise<dgram.Socket | null> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(ip.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', () => {
      socket.close();
      resolve(null);
    });
    socket.bind(port, ip, () => resolve(socket));
  });
}

export async function freePortPair(ip: string, attempts = 50): Promise<{ port: number; rtcpPort: number }> {
  for (let i = 0; i < attempts; i += 1) {
    const first = await bind(ip, 0);
    if (!first) break;
    const port = first.address().port;
    first.close();
    const rtp = port % 2 === 0 ? port : port + 1;
    if (rtp + 1 > 65535) continue;
    const a = await bind(ip, rtp);
    const b = a && (await bind(ip, rtp + 1));
    a?.close();
    b?.close();
    if (a && b) return { port: rtp, rtcpPort: rtp + 1 };
  }
  throw new Error(`no free UDP port pair on ${ip}`);
}
