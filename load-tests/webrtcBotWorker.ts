/**
 * A client process of real WebRTC viewers (load-tests/bots/webrtcViewer.ts: node-datachannel ICE,
 * DTLS, SRTP and RTCP), forked by load-tests/clusterJoinsWebrtc.ts so that the bots' DTLS and SRTP
 * work spreads over processes instead of one event loop. Answers commands over IPC:
 *   join  → joins `count` viewers with at most `concurrency` joining at once; reports, per viewer,
 *           when its join started, when ICE + DTLS were up with every consumer resumed, and when
 *           its first RTP packet arrived (epoch ms, comparable across processes);
 *   stats → RTP packets and sequence gaps summed over its viewers;
 *   close → closes every viewer and exits.
 */
import { WebRtcViewer } from './bots/webrtcViewer';
import { botToken } from './lib';

export type WebRtcCommand =
  | { type: 'join'; url: string; meetingId: string; first: number; count: number; concurrency: number; province: string }
  | { type: 'stats' }
  | { type: 'close' };

export interface ViewerTiming {
  startedAt: number;
  connectedAt: number;
  firstRtpAt: number;
}

export type WebRtcReport =
  | { type: 'joined'; timings: ViewerTiming[]; failed: number; errors: string[] }
  | { type: 'stats'; viewers: number; rtpPackets: number; gaps: number }
  | { type: 'closed' };

const now = (): number => performance.timeOrigin + performance.now();
const send = (r: WebRtcReport): void => void process.send!(r);
const viewers: WebRtcViewer[] = [];

async function joinAll(c: Extract<WebRtcCommand, { type: 'join' }>): Promise<void> {
  const timings: ViewerTiming[] = [];
  const errors: string[] = [];
  let failed = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: c.concurrency }, async () => {
      while (next < c.count) {
        const index = c.first + next++;
        const startedAt = now();
        try {
          const v = await WebRtcViewer.join({ url: c.url, token: botToken(c.meetingId, `viewer-${index}`, 'teacher', c.province), meetingId: c.meetingId, timeoutMs: 60_000 });
          viewers.push(v);
          const connectedAt = now();
          const firstRtpMs = await Promise.race([v.firstRtp(), new Promise<null>((r) => setTimeout(() => r(null), 30_000))]);
          if (firstRtpMs === null) throw new Error('no RTP within 30 s of the DTLS handshake');
          // firstRtp() counts from the start of join(), which began right after startedAt.
          timings.push({ startedAt, connectedAt, firstRtpAt: startedAt + firstRtpMs });
        } catch (e) {
          failed += 1;
          if (errors.length < 5) errors.push(e instanceof Error ? e.message : String(e));
        }
      }
    }),
  );
  send({ type: 'joined', timings, failed, errors });
}

process.on('message', (c: WebRtcCommand) => {
  if (c.type === 'join') void joinAll(c);
  else if (c.type === 'stats') {
    const s = viewers.map((v) => v.stats());
    send({ type: 'stats', viewers: viewers.length, rtpPackets: s.reduce((a, x) => a + x.rtpPackets, 0), gaps: s.reduce((a, x) => a + x.gaps, 0) });
  } else {
    for (const v of viewers) v.close();
    send({ type: 'closed' });
    setTimeout(() => process.exit(0), 300);
  }
});
process.on('disconnect', () => process.exit(0));
