/**
 * The C instruments of the benchmarks (load-tests/udp/udpkit.c): a recvmmsg receiver counting
 * packets and sequence gaps per SSRC, and the raw loopback UDP send ceiling (sendmmsg).
 */
import { spawn, execFileSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';
import { freePort } from '../harness/cluster';
import { setTimeout as sleep } from 'node:timers/promises';

const UDPKIT = '.build/udpkit';

/** The C instruments, built once per source change. */
export function buildUdpkit(): void {
  const src = 'load-tests/udp/udpkit.c';
  if (fs.existsSync(UDPKIT) && fs.statSync(UDPKIT).mtimeMs >= fs.statSync(src).mtimeMs) return;
  fs.mkdirSync('.build', { recursive: true });
  execFileSync('gcc', ['-O2', '-Wall', '-o', UDPKIT, src], { stdio: 'inherit' });
}

export interface Snap {
  packets: number;
  bytes: number;
  cpu: number;
  ssrcs: [number, number, number][];
}

/** udpkit recv, answering "snap" with its counters. */
export class Receiver {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child;
    this.#lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static async start(port: number): Promise<Receiver> {
    const r = new Receiver(spawn(UDPKIT, ['recv', String(port)]));
    await r.#lines.next(); // {"ready":true}
    return r;
  }

  async snap(): Promise<Snap> {
    this.#child.stdin.write('snap\n');
    return JSON.parse((await this.#lines.next()).value as string) as Snap;
  }

  stop(): void {
    this.#child.stdin.write('quit\n');
  }
}

/** The loopback ceiling: packets per second per sending core, batched sends. */
export async function udpCeiling(): Promise<{ packetsPerSecond: number; packetsPerCoreSecond: number; receiverLossPct: number }> {
  const port = await freePort();
  const rx = await Receiver.start(port);
  const out = execFileSync(UDPKIT, ['send', String(port), '3', '32', '1200']).toString();
  const sent = JSON.parse(out) as { packets: number; cpu: number; seconds: number };
  await sleep(200);
  const got = await rx.snap();
  rx.stop();
  return {
    packetsPerSecond: Math.round(sent.packets / sent.seconds),
    packetsPerCoreSecond: Math.round(sent.packets / sent.cpu),
    receiverLossPct: +(100 * (1 - got.packets / sent.packets)).toFixed(2),
  };
}

