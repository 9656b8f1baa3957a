/**
 * The rehearsal's timeline: a national all-hands as the ministry would run it, written for ten
 * minutes and scaled to the run's length (a step never starts before the one ahead of it ends).
 * Teachers arrive in waves; the minister is on air and records; hands, questions, reactions and a
 * poll; a teacher is invited and speaks (muted, unmuted); breakouts start while that teacher is
 * speaking; province hosts go on air, invite teachers, record; the minister speaks to all,
 * extends, sends a notice and recalls; then the kills, a wave of reconnects, timed breakouts that
 * end by themselves while a teacher speaks, a second poll, moderation, audio-only, and the end.
 */
import type { MeetingPage, ActionResult } from './pages';
import type { TeacherBots } from './botPool';
import type { BotAction, BotSpec } from './teacherBots';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StepResult {
  /** Seconds since the start of the timeline. */
  t: number;
  step: string;
  outcome: string;
  ms?: number;
  detail?: unknown;
}

export interface ScriptContext {
  national: MeetingPage;
  provinceHosts: { page: MeetingPage; province: string }[];
  /** A teacher in Chromium (Hà Nội) who raises a hand and speaks. */
  speaker: MeetingPage;
  bots: TeacherBots;
  teachers: BotSpec[];
  /** Joins a wave of teachers (in the background; resolves when the wave is in). */
  joinWave: (wave: BotSpec[]) => Promise<void>;
  /** Teachers joined so far. */
  joined: () => string[];
  /** Kills the next thing of the shape's plan and waits for everyone affected to receive media again. */
  kill: (index: number) => Promise<StepResult['detail']>;
  kills: number;
  record: (r: StepResult) => void;
  /** Seconds since the start. */
  now: () => number;
  /** The run's length over the nominal ten minutes. */
  scale: number;
}


/** A deterministic pick of a fraction of `ids` (the same run picks the same teachers). */
function pick(ids: string[], fraction: number, salt: number): string[] {
  const scored = ids.map((id) => {
    let h = salt;
    for (let i = 0; i < id.length; i++) h = (Math.imul(h, 31) + id.charCodeAt(i)) | 0;
    return [h, id] as const;
  });
  return scored.sort((a, b) => a[0] - b[0]).slice(0, Math.round(ids.length * fraction)).map(([, id]) => id);
}

export async function runScript(c: ScriptContext): Promise<void> {
  const at = async (nominalS: number): Promise<void> => {
    const wait = nominalS * c.scale - c.now();
    if (wait > 0) await sleep(wait * 1000);
  };
  const step = async (name: string, work: () => Promise<ActionResult | Record<string, number> | string | void | unknown>): Promise<void> => {
    const t = c.now();
    try {
      const r = await work();
      if (r && typeof r === 'object' && 'outcome' in r) {
        const { outcome, ms, ...rest } = r as ActionResult & Record<string, unknown>;
        c.record({ t, step: name, outcome: String(outcome), ms, ...(Object.keys(rest).length ? { detail: rest } : {}) });
      }
      else if (typeof r === 'string') c.record({ t, step: name, outcome: r });
      else c.record({ t, step: name, outcome: 'done', detail: r });
    } catch (error) {
      c.record({ t, step: name, outcome: 'error', detail: error instanceof Error ? error.message : String(error) });
    }
  };
  const bots = (action: BotAction, ids: string[], spreadS: number) => c.bots.act(action, ids, spreadS * 1000 * c.scale);
  const inProvince = (p: string) => c.teachers.filter((t) => t.province === p).map((t) => t.userId).filter((id) => c.joined().includes(id));
  const [hn, hcm] = c.provinceHosts;
  const n = c.national;
  const speaker = c.speaker;
  const hostCanSee = (page: MeetingPage, selector: string) => page.page.waitForSelector(selector, { timeout: 15_000 }).then(() => true, () => false);
  // "Lower all" is disabled while no hand is up: nothing to do then.
  const lowerAll = async (): Promise<ActionResult> =>
    (await n.page.isDisabled('[data-action="lower-all"]').catch(() => false)) ? { outcome: 'no_hands', ms: 0 } : n.clickConfirmed('[data-action="lower-all"]', 'lower-all', 'lowerHands');

  // Teachers arrive in four waves over the first minute, as a school day allows.
  const waves = [0, 1, 2, 3].map((k) => c.teachers.filter((_, i) => i % 4 === k));
  const joins: Promise<void>[] = [];
  await at(0);
  await step('national host starts recording', () => n.click('button[data-control="record"][data-on="false"]', 'startRecording'));
  for (let k = 0; k < waves.length; k++) {
    await at(k * 15);
    const t = c.now();
    joins.push(c.joinWave(waves[k]!).then(() => c.record({ t, step: `teachers join, wave ${k + 1}`, outcome: 'done', detail: { teachers: waves[k]!.length } })));
  }
  await at(50);
  await step('teachers react', () => bots('react', pick(c.joined(), 0.4, 1), 10));
  await at(60);
  await step('teachers ask questions', () => bots('ask', pick(c.joined(), 0.15, 2), 10));
  await at(70);
  await step('teachers vote for questions', () => bots('voteQuestion', pick(c.joined(), 0.3, 3), 10));
  await Promise.all(joins);

  // A teacher asks to speak, is invited and speaks; the host mutes and unmutes.
  await at(75);
  await step('national host lowers every hand', lowerAll);
  await at(78);
  await step('Chromium teacher raises a hand', () => speaker.click('[data-action="hand"][data-raised="false"]', 'raiseHand'));
  await at(82);
  await step('teachers raise hands', () => bots('raiseHand', pick(c.joined(), 0.3, 4), 10));
  await at(95);
  await step('national host invites the Chromium teacher', () => n.invite(speaker.who, false));
  await at(97);
  await step('Chromium teacher accepts and speaks', () => speaker.click('[data-action="accept"]', 'respondInvitation'));
  await at(110);
  await step('national host mutes the speaker', () => n.click(`[data-speaker="${speaker.who}"][data-state="speaking"] button:not([data-action])`, 'muteSpeaker'));
  await at(115);
  await step('national host unmutes the speaker', () => n.click(`[data-speaker="${speaker.who}"][data-state="speaking"] button:not([data-action])`, 'muteSpeaker'));
  await at(120);
  await step('teachers lower hands', () => bots('lowerHand', pick(c.joined(), 0.15, 4), 5));

  // A poll.
  await at(125);
  await step('national host launches a poll', () => n.launchPoll('Trường thầy cô đã sẵn sàng cho năm học mới chưa?', ['Đã sẵn sàng', 'Còn thiếu giáo viên', 'Còn thiếu cơ sở vật chất']));
  await at(130);
  await step('teachers vote in the poll', () => bots('votePoll', pick(c.joined(), 0.8, 5), 15));
  await at(150);
  await step('national host closes the poll', () => n.click('li[data-state="open"] [data-action="poll-close"]', 'pollClose'));
  await step('national host shows the results', () => n.click('li[data-state="closed"] [data-action="poll-show"][aria-pressed="false"]', 'pollShow'));

  // Breakouts while the teacher speaks (what once froze the meeting).
  await at(170);
  await step('national host starts 3-minute breakouts while a teacher speaks', () => n.startBreakouts(3, true));
  await at(178);
  for (const { page, province } of c.provinceHosts) {
    await step(`province host ${province} turns the camera on`, () => page.ensureOn('camera'));
    await step(`province host ${province} turns the microphone on`, () => page.ensureOn('mic'));
  }
  await at(190);
  await step('national host speaks to all', () => n.click('[data-action="speak-to-all"][aria-pressed="false"]', 'speakToAll'));
  await at(200);
  await step(`teachers of ${hn!.province} raise hands in their breakout`, () => bots('raiseHand', pick(inProvince(hn!.province), 0.4, 6), 5));
  await at(205);
  await step('Chromium teacher raises a hand in the breakout', () => speaker.click('[data-action="hand"][data-raised="false"]', 'raiseHand'));
  await at(210);
  await step('national host stops speaking to all', () => n.click('[data-action="speak-to-all"][aria-pressed="true"]', 'speakToAll'));
  await at(215);
  await step(`province host ${hn!.province} invites a teacher (bot)`, () => hn!.page.click('.queue-row[data-user-id^="gv-bot"] [data-action="invite"]', 'inviteSpeaker'));
  await at(220);
  await step('national host sends a notice', () => n.notice('Các tỉnh chuẩn bị báo cáo tóm tắt sau phần thảo luận.'));
  await at(225);
  await step('national host extends the breakouts', async () => {
    const res = await n.click('.breakout-panel button:has-text("Thêm 5 phút")', 'extendBreakouts');
    return res;
  });
  await at(228);
  await step(`province host ${hn!.province} invites the Chromium teacher with video`, () => hn!.page.invite(speaker.who, true));
  await step('Chromium teacher accepts and speaks in the breakout', () => speaker.click('[data-action="accept"]', 'respondInvitation'));
  await at(230);
  await step(`province host ${hcm!.province} records the breakout`, () => hcm!.page.click('button[data-control="record"][data-on="false"]', 'startRecording'));
  await at(240);
  await step('teachers react in breakouts', () => bots('react', pick(c.joined(), 0.2, 7), 10));
  await step('teachers ask in breakouts', () => bots('ask', pick(c.joined(), 0.05, 8), 5));
  await at(260);
  await step(`province host ${hcm!.province} stops recording`, () => hcm!.page.click('button[data-control="record"][data-on="true"]', 'stopRecording'));
  await at(270);
  await step('national host recalls everyone', () => n.clickConfirmed('[data-action="recall"]', 'recall', 'endBreakouts'));

  // The kills, each followed by its recovery.
  for (let k = 0; k < c.kills; k++) {
    await at(300 + 60 * k);
    const t = c.now();
    const detail = await c.kill(k).catch((e: unknown) => ({ error: e instanceof Error ? e.message : String(e) }));
    c.record({ t, step: `kill ${k + 1}`, outcome: detail && typeof detail === 'object' && 'error' in detail ? 'error' : 'done', detail });
  }

  // Connections drop and come back; teachers leave and return.
  await at(420);
  await step('teachers lose their connection', () => bots('dropConnection', pick(c.joined(), 0.15, 9), 10));
  await step('teachers leave and come back', () => bots('leaveAndRejoin', pick(c.joined(), 0.05, 10), 10));

  // Timed breakouts that end by themselves, started while the teacher speaks again.
  await at(430);
  await step('national host lowers every hand', lowerAll);
  await step('Chromium teacher raises a hand', () => speaker.click('[data-action="hand"][data-raised="false"]', 'raiseHand'));
  await step('national host invites the Chromium teacher', () => n.invite(speaker.who, false));
  await step('Chromium teacher accepts and speaks', () => speaker.click('[data-action="accept"]', 'respondInvitation'));
  await at(440);
  const timedFrom = c.now();
  await step('national host starts 1-minute breakouts while a teacher speaks', () => n.startBreakouts(1, false));
  await at(450);
  await step('national host speaks to all', () => n.click('[data-action="speak-to-all"][aria-pressed="false"]', 'speakToAll'));
  await at(460);
  await step('national host stops speaking to all', () => n.click('[data-action="speak-to-all"][aria-pressed="true"]', 'speakToAll'));
  await at(470);
  await step(`teachers of ${hcm!.province} raise hands in their breakout`, () => bots('raiseHand', pick(inProvince(hcm!.province), 0.3, 11), 5));
  await at(475);
  await step(`province host ${hcm!.province} invites a teacher (bot)`, () => hcm!.page.click('.queue-row[data-user-id^="gv-bot"] [data-action="invite"]', 'inviteSpeaker'));
  await step('the breakouts end by themselves', async () => {
    const ended = await n.page.waitForSelector('.breakout-panel[data-breakouts="idle"]', { timeout: 120_000 }).then(() => true, () => false);
    return ended ? { outcome: 'ok', ms: Math.round((c.now() - timedFrom - 60) * 1000) } : { outcome: 'not_ended', ms: 0 };
  });

  // A second poll, moderation, audio only, the end.
  await at(515);
  await step('national host launches a second poll', () => n.launchPoll('Thầy cô muốn tập huấn thêm nội dung nào?', ['Chuyển đổi số', 'Đánh giá học sinh', 'Kỹ năng mềm', 'Giáo dục STEM']));
  await at(520);
  await step('teachers vote in the second poll', () => bots('votePoll', pick(c.joined(), 0.7, 12), 10));
  await at(540);
  await step('national host closes the second poll', () => n.click('li[data-state="open"] [data-action="poll-close"]', 'pollClose'));
  await at(545);
  if (await hostCanSee(n, '[data-action="qa-answer"]')) {
    await step('national host marks the top question answered', () => n.click('.qa-list li:first-child [data-action="qa-answer"]', 'qaModerate'));
    await step('national host pins the top question', () => n.click('.qa-list li:first-child [data-action="qa-pin"]', 'qaPin'));
  } else c.record({ t: c.now(), step: 'national host moderates questions', outcome: 'control_missing' });
  await at(555);
  const weak = pick(c.joined(), 0.1, 13);
  await step('teachers on weak links switch to audio only', () => bots('audioOnlyOn', weak, 5));
  await at(570);
  await step('national host stops recording', () => n.click('button[data-control="record"][data-on="true"]', 'stopRecording'));
  await at(575);
  await step('teachers switch audio only off', () => bots('audioOnlyOff', weak, 5));
  await at(585);
  await step('national host lowers every hand', lowerAll);
  await at(595);
  await step('national host unpins the question', () => n.click('.qa-list [data-action="qa-pin"].on', 'qaPin'));
  await at(600);
}
