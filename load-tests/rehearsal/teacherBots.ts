/**
 * A client process of the rehearsal's teachers (forked by botPool.ts): each teacher is a real
 * WebRTC receiver that follows the meeting (bots/webrtcViewer.ts with `follow`: later consumers,
 * rejoins, reconnects), and does what a teacher does when the parent says so: raise and lower a
 * hand, ask and vote for questions, vote in polls, react, drop their connection, leave and come
 * back, switch to audio only. An invitation to speak is answered by itself (accepted or declined,
 * as the parent set); an accepted one ends with `stopSpeaking` after a while.
 *
 * Commands and replies go over IPC, each with the id of its command. Times are epoch ms, so they
 * compare across processes. Every request's round trip is kept and handed over with each sample.
 */
import { WebRtcViewer, type WebRtcViewerTimeline } from '../bots/webrtcViewer';
import { REACTION_KINDS } from '../../signaling/protocol/qa';
import { botToken } from '../lib';
import { setTimeout as sleep } from 'node:timers/promises';

export interface BotSpec {
  userId: string;
  province: string;
}

export type BotAction =
  | 'raiseHand'
  | 'lowerHand'
  | 'ask'
  | 'voteQuestion'
  | 'votePoll'
  | 'react'
  | 'dropConnection'
  | 'leaveAndRejoin'
  | 'audioOnlyOn'
  | 'audioOnlyOff';

export interface InvitePolicy {
  reply: 'accept' | 'decline';
  /** An accepted invitation: the teacher speaks this long, then stops by themselves. */
  speakMs: number;
}

export type BotCommand =
  | { id: number; type: 'join'; url: string; meetingId: string; bots: BotSpec[]; concurrency: number; invite: InvitePolicy; timeoutMs: number }
  | { id: number; type: 'act'; action: BotAction; userIds: string[]; spreadMs: number }
  | { id: number; type: 'sample' }
  | { id: number; type: 'timelines' }
  | { id: number; type: 'close' };

export interface JoinOutcome {
  userId: string;
  startedAt: number;
  /** Joined with ICE and DTLS up (null: failed). */
  joinedAt: number | null;
  /** Its first RTP packet (null: none within 30 s of joining). */
  firstRtpAt: number | null;
  error?: string;
}

export interface AckRecord {
  who: string;
  event: string;
  ms: number;
  /** 'ok', the error code, or 'timeout'. */
  outcome: string;
  /** When the request was sent (epoch ms). */
  at: number;
}

export interface BotSample {
  userId: string;
  /** Connected, and its last join flow done. */
  joined: boolean;
  connected: boolean;
  session: string | null;
  /** Producer id → epoch ms of its last RTP packet. */
  receiving: Record<string, number>;
  /**
   * The newest RTP packet any teacher of this process had handled when sampled (epoch ms): the
   * clock that RTP ages are read against, so that a process the machine starved for a few seconds
   * (its packets waiting in its queue) does not pass for teachers who lost their media.
   */
  anchor: number;
  /** Producers it holds a consumer of (whether media comes or not). */
  offered: string[];
  /** Its RTCP so far: transport-cc feedbacks, REMBs, NACKs (what the SFU's estimate lives on). */
  rtcp: { transportCc: number; remb: number; nacks: number };
  audioOnly: boolean;
}

export interface SpeakEvent {
  userId: string;
  what: 'invited' | 'accepted' | 'declined' | 'stopped';
  at: number;
  outcome?: string;
}

export type BotReply =
  | { id: number; type: 'joined'; results: JoinOutcome[] }
  | { id: number; type: 'acted'; outcomes: Record<string, number> }
  | { id: number; type: 'sample'; at: number; bots: BotSample[]; acks: AckRecord[]; speak: SpeakEvent[] }
  | { id: number; type: 'timelines'; timelines: Record<string, WebRtcViewerTimeline> }
  | { id: number; type: 'closed' };

interface Bot {
  spec: BotSpec;
  viewer: WebRtcViewer;
  audioOnly: boolean;
  asked: number;
}

const reply = (r: BotReply): void => void process.send!(r);
const bots = new Map<string, Bot>();
let acks: AckRecord[] = [];
let speak: SpeakEvent[] = [];
let joinSettings: Extract<BotCommand, { type: 'join' }> | null = null;

/** Joins one teacher; the viewer is kept whatever happens to its first RTP. */
async function joinOne(spec: BotSpec, c: Extract<BotCommand, { type: 'join' }>): Promise<JoinOutcome> {
  const startedAt = Date.now();
  try {
    const viewer = await WebRtcViewer.join({
      url: c.url,
      token: botToken(c.meetingId, spec.userId, 'teacher', spec.province),
      meetingId: c.meetingId,
      follow: true,
      timeoutMs: c.timeoutMs,
      onAck: (event, ms, outcome) => acks.push({ who: spec.userId, event, ms: Math.round(ms), outcome, at: Date.now() - Math.round(ms) }),
    });
    const bot: Bot = { spec, viewer, audioOnly: false, asked: 0 };
    bots.set(spec.userId, bot);
    listen(bot, c.invite);
    const joinedAt = Date.now();
    const firstMs = await Promise.race([viewer.firstRtp(), sleep(30_000).then(() => null)]);
    return { userId: spec.userId, startedAt, joinedAt, firstRtpAt: firstMs === null ? null : Math.max(joinedAt, startedAt + Math.round(firstMs)) };
  } catch (error) {
    return { userId: spec.userId, startedAt, joinedAt: null, firstRtpAt: null, error: error instanceof Error ? error.message : String(error) };
  }
}

/** An invitation is answered as the policy says; an accepted one is ended by the teacher later. */
function listen(bot: Bot, policy: InvitePolicy): void {
  let invited = false;
  bot.viewer.on('speakState', ((state: { invitation: unknown; grant: unknown }) => {
    if (!state.invitation) {
      invited = false;
      return;
    }
    if (invited) return;
    invited = true;
    const userId = bot.spec.userId;
    speak.push({ userId, what: 'invited', at: Date.now() });
    const accept = policy.reply === 'accept';
    void bot.viewer.request('respondInvitation', { accept }).then(
      () => {
        speak.push({ userId, what: accept ? 'accepted' : 'declined', at: Date.now() });
        if (!accept) return;
        setTimeout(() => {
          void bot.viewer.request('stopSpeaking', {}).then(
            () => speak.push({ userId, what: 'stopped', at: Date.now(), outcome: 'ok' }),
            (e: unknown) => speak.push({ userId, what: 'stopped', at: Date.now(), outcome: code(e) }),
          );
        }, policy.speakMs);
      },
      (e: unknown) => speak.push({ userId, what: accept ? 'accepted' : 'declined', at: Date.now(), outcome: code(e) }),
    );
  }) as never);
}

function code(e: unknown): string {
  return e && typeof e === 'object' && 'code' in e ? String((e as { code: string }).code) : 'error';
}

async function act(bot: Bot, action: BotAction): Promise<void> {
  const v = bot.viewer;
  switch (action) {
    case 'raiseHand':
      await v.request('raiseHand', {});
      return;
    case 'lowerHand':
      await v.request('lowerHand', {});
      return;
    case 'ask':
      bot.asked += 1;
      await v.request('qaAsk', { text: `Câu hỏi ${bot.asked} của ${bot.spec.userId}: lịch triển khai chương trình mới ở trường tôi thế nào?` });
      return;
    case 'voteQuestion': {
      const { rows } = await v.request<{ rows: { id: string; authorId: string }[] }>('qaList', { sort: 'top', offset: 0, limit: 10 });
      const others = rows.filter((r) => r.authorId !== bot.spec.userId);
      if (others.length === 0) return;
      await v.request('qaVote', { questionId: others[Math.floor(Math.random() * others.length)]!.id });
      return;
    }
    case 'votePoll': {
      const { poll, myChoices } = await v.request<{ poll: { id: string; state: string; options: string[] } | null; myChoices: number[] | null }>('pollCurrent', {});
      if (!poll || poll.state !== 'open' || myChoices) return;
      await v.request('pollVote', { pollId: poll.id, choices: [Math.floor(Math.random() * poll.options.length)] });
      return;
    }
    case 'react':
      await v.request('react', { kind: REACTION_KINDS[Math.floor(Math.random() * REACTION_KINDS.length)] });
      return;
    case 'dropConnection':
      v.dropConnection();
      return;
    case 'leaveAndRejoin': {
      // The tab closed (an explicit leave), and opened again a little later.
      await v.request('leave', {}).catch(() => undefined);
      v.close();
      bots.delete(bot.spec.userId);
      await sleep(1_000 + Math.random() * 2_000);
      const outcome = await joinOne(bot.spec, joinSettings!);
      if (outcome.joinedAt === null) throw Object.assign(new Error(outcome.error), { code: 'rejoin_failed' });
      return;
    }
    case 'audioOnlyOn':
    case 'audioOnlyOff': {
      const on = action === 'audioOnlyOn';
      await v.request('setAudioOnly', { on });
      bot.audioOnly = on;
      return;
    }
  }
}

process.on('message', (c: BotCommand) => {
  if (c.type === 'join') {
    joinSettings = c;
    void (async () => {
      const results: JoinOutcome[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.max(1, c.concurrency) }, async () => {
          while (next < c.bots.length) results.push(await joinOne(c.bots[next++]!, c));
        }),
      );
      reply({ id: c.id, type: 'joined', results });
    })();
  } else if (c.type === 'act') {
    void (async () => {
      const outcomes: Record<string, number> = {};
      await Promise.all(
        c.userIds.map(async (userId) => {
          await sleep(Math.random() * c.spreadMs);
          const bot = bots.get(userId);
          let outcome = 'ok';
          if (!bot) outcome = 'not_joined';
          else await act(bot, c.action).catch((e: unknown) => (outcome = code(e)));
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        }),
      );
      reply({ id: c.id, type: 'acted', outcomes });
    })();
  } else if (c.type === 'sample') {
    const anchor = Math.max(0, ...[...bots.values()].map((b) => b.viewer.lastRtpAt));
    const sampled = [...bots.values()].map((b) => ({
      anchor,
      userId: b.spec.userId,
      joined: b.viewer.joined,
      connected: b.viewer.connected,
      session: b.viewer.sessionKey,
      receiving: b.viewer.receiving(),
      offered: b.viewer.offered(),
      rtcp: (({ transportCcFeedbacks, remb, nacks }) => ({ transportCc: transportCcFeedbacks, remb, nacks }))(b.viewer.stats()),
      audioOnly: b.audioOnly,
    }));
    reply({ id: c.id, type: 'sample', at: Date.now(), bots: sampled, acks, speak });
    acks = [];
    speak = [];
  } else if (c.type === 'timelines') {
    reply({ id: c.id, type: 'timelines', timelines: Object.fromEntries([...bots].map(([id, b]) => [id, b.viewer.timeline()])) });
  } else {
    for (const b of bots.values()) b.viewer.close();
    reply({ id: c.id, type: 'closed' });
    setTimeout(() => process.exit(0), 300);
  }
});
process.on('disconnect', () => process.exit(0));
