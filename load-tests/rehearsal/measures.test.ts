/**
 * The rehearsal's judges (load-tests/rehearsal/expectedMedia.ts and measures.ts): what a teacher
 * should receive, who is stuck without it, and when a teacher counts as back after a kill. The
 * benchmark itself never runs in CI; these rules do.
 */
import { describe, expect, it } from 'vitest';
import { expectations, placement, type MeetingView } from './expectedMedia';
import { ConsumptionCheck, recovery } from './measures';
import type { BotSample } from './teacherBots';
import type { Participant, PublishedProducer } from '../../signaling/store/types';

const person = (userId: string, role: Participant['role'], province: string | null, sessionKey: string): Participant => ({
  userId, name: userId, role, province, school: null, sessionKey, node: 'n', socketId: userId, joinedAt: 0,
});
const producer = (id: string, peerId: string, sessionKey: string, kind: 'audio' | 'video', national: boolean): PublishedProducer => ({
  id, kind, source: kind === 'audio' ? 'mic' : 'camera', peerId, peerName: peerId, sessionKey, roomId: sessionKey, national,
});
const NATIONAL = [producer('nat-cam', 'minister', 'main', 'video', true), producer('nat-mic', 'minister', 'main', 'audio', true)];
const HANOI = [producer('hn-cam', 'so-ha-noi', '01', 'video', false), producer('hn-mic', 'so-ha-noi', '01', 'audio', false)];
const breakouts = (over: Partial<NonNullable<MeetingView['breakouts']>> = {}): MeetingView['breakouts'] => ({
  startedAt: 0, endsAt: null, nationalOverlay: false, speakToAll: false, provinces: null, version: 1, ...over,
});
const view = (participants: Participant[], producers: PublishedProducer[], b: MeetingView['breakouts'] = null, muted: string[] = []): MeetingView => ({
  participants, producers, breakouts: b, mutedSpeakers: new Set(muted),
});
const expected = (v: MeetingView, userId: string, audioOnly = false) => [...(expectations(v, () => audioOnly).get(userId)?.producers ?? [])].sort();

describe('what a teacher should receive', () => {
  const teacher = person('t1', 'teacher', '01', '01');

  it('is the national session in main', () => {
    expect(expected(view([person('t1', 'teacher', '01', 'main')], NATIONAL), 't1')).toEqual(['nat-cam', 'nat-mic']);
  });

  it('is the own breakout only, the national sound held, while the national host does not speak to all', () => {
    expect(expected(view([teacher], [...NATIONAL, ...HANOI], breakouts()), 't1')).toEqual(['hn-cam', 'hn-mic']);
  });

  it('adds the national sound when speaking to all, and the national camera as an overlay', () => {
    expect(expected(view([teacher], [...NATIONAL, ...HANOI], breakouts({ speakToAll: true })), 't1')).toEqual(['hn-cam', 'hn-mic', 'nat-mic']);
    expect(expected(view([teacher], [...NATIONAL, ...HANOI], breakouts({ nationalOverlay: true })), 't1')).toEqual(['hn-cam', 'hn-mic', 'nat-cam']);
  });

  it('is the whole national session in a breakout with nothing of its own on air', () => {
    expect(expected(view([teacher], NATIONAL, breakouts()), 't1')).toEqual(['nat-cam', 'nat-mic']);
  });

  it('leaves out a muted speaker\'s microphone, the teacher\'s own media, and video for audio only', () => {
    const speaker = producer('sp-mic', 't2', '01', 'audio', false);
    const own = producer('own-mic', 't1', '01', 'audio', false);
    expect(expected(view([teacher], [...HANOI, speaker, own], breakouts(), ['t2']), 't1')).toEqual(['hn-cam', 'hn-mic']);
    expect(expected(view([teacher], [...HANOI], breakouts()), 't1', true)).toEqual(['hn-mic']);
  });

  it('places teachers and province hosts in their breakout, national hosts and other provinces in main', () => {
    const b = breakouts({ provinces: ['01'] });
    expect(placement({ breakouts: b }, { role: 'teacher', province: '01' })).toBe('01');
    expect(placement({ breakouts: b }, { role: 'province_host', province: '01' })).toBe('01');
    expect(placement({ breakouts: b }, { role: 'teacher', province: '79' })).toBe('main');
    expect(placement({ breakouts: b }, { role: 'host', province: null })).toBe('main');
    expect(placement({ breakouts: null }, { role: 'teacher', province: '01' })).toBe('main');
  });
});

describe('the consumption check', () => {
  const participants = ['a', 'b', 'c'].map((id) => person(id, 'teacher', '01', 'main'));
  const bot = (userId: string, receiving: Record<string, number>, anchor: number): BotSample => ({
    userId, joined: true, connected: true, session: 'main', receiving, offered: Object.keys(receiving), rtcp: { transportCc: 0, remb: 0, nacks: 0 }, anchor, audioOnly: false,
  });

  it('gives a new producer one sample to arrive, then counts a teacher without it', () => {
    const check = new ConsumptionCheck();
    const v = view(participants, NATIONAL);
    const fresh = { 'nat-cam': 10_000, 'nat-mic': 10_000 };
    const first = check.check(0, false, v, [bot('a', {}, 10_000), bot('b', fresh, 10_000), bot('c', fresh, 10_000)], 10_000);
    expect(first.notConsuming).toEqual([]);
    const second = check.check(10, false, v, [bot('a', { 'nat-mic': 20_000 }, 20_000), bot('b', { 'nat-cam': 20_000, 'nat-mic': 20_000 }, 20_000), bot('c', { 'nat-cam': 20_000, 'nat-mic': 20_000 }, 20_000)], 20_000);
    expect(second.notConsuming.map((x) => [x.userId, x.missing, x.unoffered])).toEqual([['a', ['nat-cam'], ['nat-cam']]]);
    expect(second.consuming).toBe(2);
  });

  it('reads RTP ages against the teacher process\'s newest packet, so a starved process is not a stuck teacher', () => {
    const check = new ConsumptionCheck();
    const v = view(participants.slice(0, 1), NATIONAL);
    check.check(0, false, v, [bot('a', { 'nat-cam': 1_000, 'nat-mic': 1_000 }, 1_000)], 1_000);
    // Its packets stopped being handled 8 s ago, for the whole process: not counted.
    const starved = check.check(10, false, v, [bot('a', { 'nat-cam': 12_000, 'nat-mic': 12_000 }, 12_000)], 20_000);
    expect(starved.notConsuming).toEqual([]);
  });

  it('calls a producer every teacher misses a silent source, not a teachers\' failure', () => {
    const check = new ConsumptionCheck();
    const v = view(participants, NATIONAL);
    const all = (cam: number) => ['a', 'b', 'c'].map((id) => bot(id, { 'nat-cam': cam, 'nat-mic': 20_000 }, 20_000));
    check.check(0, false, v, all(10_000), 10_000);
    const s = check.check(10, false, v, all(5_000), 20_000);
    expect(s.notConsuming).toEqual([]);
    expect(s.silentSources.map((x) => [x.producer, x.teachers])).toEqual([['nat-cam', 3]]);
  });
});

describe('recovery after a kill at 100 s', () => {
  const kill = 100_000;
  const quiet = { gaps: [], flows: [{ startedAt: 0, firstRtpAt: 1_000 }], drops: [], lastRtpAt: 130_000 };

  it('counts a teacher back when its silence ends, and after a drop when the next join flow receives media', () => {
    const r = recovery(
      {
        untouched: quiet,
        silent: { ...quiet, gaps: [{ from: 100_200, to: 103_000 }] },
        dropped: { ...quiet, drops: [{ at: 100_100, why: 'disconnect' }], flows: [...quiet.flows, { startedAt: 101_000, firstRtpAt: 104_500 }] },
      },
      kill,
      90_000,
      130_000,
    );
    expect(r.affected).toBe(2);
    expect(r.recovered).toBe(2);
    expect(r.recoveryMs.max).toBe(4_500);
  });

  it('does not count back a teacher still silent, or dropped with no media since', () => {
    const r = recovery(
      {
        stillSilent: { ...quiet, lastRtpAt: 100_300 },
        noFlow: { ...quiet, drops: [{ at: 100_100, why: 'rejoin' }] },
      },
      kill,
      90_000,
      130_000,
    );
    expect(r.affected).toBe(2);
    expect(r.unrecovered).toBe(2);
  });
});
