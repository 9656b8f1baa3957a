/**
 * The set-up the WebRTC bot benchmarks share (viewerCost, workerProfile, fanoutBots): a hoinghi
 * node in this process with one mediasoup worker and its limits out of the way, the worker pinned
 * to core 0 (this process, the bots, ffmpeg and perf share the other cores), a node-datachannel
 * publisher bot sending a clip as the host, and node-datachannel viewer bots joining as teachers.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { loadConfig } from '../signaling/config';
import { HoinghiServer } from '../signaling/server';
import { BENCH_SECRET, botToken } from './lib';
import { WebRtcPublisher } from '../harness/webrtcPublisher';
import { WebRtcViewer, type WebRtcViewerOptions } from './bots/webrtcViewer';
import { setTimeout as sleep } from 'node:timers/promises';

/** The machine's cores, read once at load: pinning this process later narrows what availableParallelism() reports. */
export const CORES = os.availableParallelism();
/** Whether the worker gets core 0 to itself (a machine of two cores or more). */
export const WORKER_PINNED = CORES >= 2;

const taskset = (pid: number, cpus: string) => execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });

/** Pins a mediasoup worker to core 0, and this process to the other cores. */
export function pinWorker(pid: number): void {
  if (!WORKER_PINNED) return;
  taskset(pid, '0');
  taskset(process.pid, `1-${CORES - 1}`);
}

/** Keeps a helper process (ffmpeg, perf) off the worker's core. */
export function pinOffWorker(pid: number | undefined): void {
  if (WORKER_PINNED && pid) taskset(pid, `1-${CORES - 1}`);
}

/** What the viewers received so far, summed over all of them. */
export interface ViewerTotals {
  rtp: number;
  gaps: number;
  /** RTCP the viewers sent: receiver reports, NACKs, transport-cc feedback, REMB. */
  rtcp: number;
}

export class BenchNode {
  readonly server: HoinghiServer;
  /** The node's one worker, pinned to core 0. */
  readonly workerPid: number;
  host: WebRtcPublisher | null = null;
  readonly viewers: WebRtcViewer[] = [];

  private constructor(server: HoinghiServer) {
    this.server = server;
    this.workerPid = server.sfu.stats().workers[0]!.pid;
  }

  /**
   * A node with one worker (the binary mediasoup's `workerBin` names now), and no join rate or
   * per-worker viewer limit in the way; `env` adds or overrides settings.
   */
  static async start(env: Record<string, string> = {}): Promise<BenchNode> {
    const server = await HoinghiServer.create(
      loadConfig({
        HOINGHI_PORT: '0',
        HOINGHI_WORKERS: '1',
        HOINGHI_RTC_BASE_PORT: '0',
        HOINGHI_JWT_SECRET: BENCH_SECRET,
        HOINGHI_VIEWERS_PER_WORKER: '100000',
        HOINGHI_JOIN_RATE: '100000',
        HOINGHI_JOIN_BURST: '100000',
        ...env,
      }),
    );
    try {
      const node = new BenchNode(server);
      pinWorker(node.workerPid);
      return node;
    } catch (error) {
      await server.close();
      throw error;
    }
  }

  /** The host's publisher bot, once the SFU has forwarded `minForwarded` of its packets (15 s at most). */
  async publish(opts: { meetingId: string; clip: string; dtx?: boolean; minForwarded: number }): Promise<WebRtcPublisher> {
    const host = await WebRtcPublisher.start({ url: this.server.url, token: botToken(opts.meetingId, 'bench-host', 'host', null), meetingId: opts.meetingId, clip: opts.clip, dtx: opts.dtx });
    this.host = host;
    pinOffWorker(host.ffmpegPid);
    const deadline = Date.now() + 15_000;
    while (host.stats().forwarded < opts.minForwarded) {
      if (Date.now() > deadline) throw new Error('the publisher bot forwards nothing');
      await sleep(100);
    }
    return host;
  }

  /**
   * `count` viewer bots (teachers of province 01, named by `name(i)`), joining in waves of 25 as a
   * classroom arrives; a bot that fails to join is logged and left out. Then waits for their first
   * RTP (15 s at most) and 2.5 s more: keyframes, bandwidth estimation settling.
   */
  async joinViewers(opts: { meetingId: string; count: number; name: (i: number) => string; viewer: Pick<WebRtcViewerOptions, 'transportCc' | 'remb'> }): Promise<WebRtcViewer[]> {
    const { meetingId, count } = opts;
    for (let i = 0; i < count; i += 25) {
      await Promise.all(Array.from({ length: Math.min(25, count - i) }, (_, j) =>
        WebRtcViewer.join({ url: this.server.url, token: botToken(meetingId, opts.name(i + j), 'teacher', '01'), meetingId, ...opts.viewer }).then(
          (v) => this.viewers.push(v),
          (e: unknown) => console.error(`bot ${i + j}: ${e instanceof Error ? e.message : String(e)}`),
        )));
    }
    await Promise.race([Promise.all(this.viewers.map((b) => b.firstRtp())), sleep(15_000)]);
    await sleep(2_500);
    return this.viewers;
  }

  viewerTotals(): ViewerTotals {
    return this.viewers.reduce((a, b) => {
      const s = b.stats();
      return { rtp: a.rtp + s.rtpPackets, gaps: a.gaps + s.gaps, rtcp: a.rtcp + s.receiverReports + s.nacks + s.transportCcFeedbacks + s.remb };
    }, { rtp: 0, gaps: 0, rtcp: 0 });
  }

  async close(): Promise<void> {
    for (const b of this.viewers) b.close();
    this.host?.close();
    await this.server.close();
  }
}
