/**
 * The kernel's UDP counters for the whole host (network namespace): datagrams dropped because a
 * socket's receive buffer was full (`RcvbufErrors`) and all datagrams not delivered (`InErrors`,
 * which includes those), over IPv4 (/proc/net/snmp) and IPv6 (/proc/net/snmp6). Unlike the
 * per-worker figure (sfu/udpDrops.ts) this also sees ffmpeg's RTP sockets and any process on the
 * machine. Linux only; elsewhere (or without /proc) both read 0.
 */
import fs from 'node:fs';

export interface HostUdpErrors {
  receiveBufferErrors: number;
  inErrors: number;
}

/** The `Udp:` header and value lines of /proc/net/snmp, as a name → value map. */
export function parseSnmpUdp(text: string): Map<string, number> {
  const lines = text.split('\n').filter((l) => l.startsWith('Udp:'));
  const out = new Map<string, number>();
  if (lines.length < 2) return out;
  const names = lines[0]!.split(/\s+/).slice(1);
  const values = lines[1]!.split(/\s+/).slice(1);
  names.forEach((n, i) => out.set(n, Number(values[i] ?? 0)));
  return out;
}

/** /proc/net/snmp6 is one `Name value` pair a line. */
export function parseSnmp6(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, value] = line.trim().split(/\s+/);
    if (name && value !== undefined) out.set(name, Number(value));
  }
  return out;
}

function read(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export function hostUdpErrors(): HostUdpErrors {
  const v4 = parseSnmpUdp(read('/proc/net/snmp'));
  const v6 = parseSnmp6(read('/proc/net/snmp6'));
  return {
    receiveBufferErrors: (v4.get('RcvbufErrors') ?? 0) + (v6.get('Udp6RcvbufErrors') ?? 0),
    inErrors: (v4.get('InErrors') ?? 0) + (v6.get('Udp6InErrors') ?? 0),
  };
}
