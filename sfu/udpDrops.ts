/**
 * Datagrams the kernel dropped at a process's UDP sockets because their receive buffers were full
 * (the `drops` column of /proc/net/udp and /proc/net/udp6, summed over the sockets the process
 * holds). For a mediasoup worker this is the packet loss it causes by falling behind: host media
 * and viewers' RTCP alike. Linux only; elsewhere (or without /proc access) it reads 0.
 */
import fs from 'node:fs';

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** Receive drops of each UDP socket `pid` holds, by local port. */
export function udpReceiveDropsByPort(pid: number): Map<number, number> {
  const byPort = new Map<number, number>();
  const inodes = socketInodes(pid);
  if (inodes.size === 0) return byPort;
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // sl local(ip:port hex) rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
      if (cols.length < 13 || !inodes.has(cols[9]!)) continue;
      const port = parseInt(cols[1]!.split(':')[1]!, 16);
      byPort.set(port, (byPort.get(port) ?? 0) + Number(cols[12]));
    }
  }
  return byPort;
}

/** Summed receive drops of the UDP sockets `pid` holds. */
export function udpReceiveDrops(pid: number): number {
  let drops = 0;
  for (const n of udpReceiveDropsByPort(pid).values()) drops += n;
  return drops;
}
