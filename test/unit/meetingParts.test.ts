/**
 * Two invariants of the meeting that no SFU timing in an integration test pins down reliably,
 * checked on the parts that hold them, through the narrow interfaces they take: the SFU's
 * answers are held back until the test lets them go, so each interleaving is made on purpose.
 */
import { describe, expect, it } from 'vitest';
import type { Claims } from '../../signaling/auth/tokens';
import { NationalAudioHolds, type HoldsMeeting } from '../../signaling/meeting/nationalAudioHolds';
import { MeetingSession } from '../../signaling/meeting/MeetingSession';
import { Peer } from '../../signaling/meeting/Peer';
import { SessionMoves, type MovesMeeting } from '../../signaling/meeting/sessionMoves';
import type { Breakouts, PublishedProducer } from '../../signaling/store/types';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function teacher(province: string): Peer {
  const claims: Claims = { sub: `t-${province}`, name: 'Cô Lan', role: 'teacher', province, school: null, meetings: ['m1'], exp: 0 };
  return new Peer(claims, `sock-${province}`);
}

const breakouts = (speakToAll: boolean): Breakouts => ({ speakToAll, nationalOverlay: false, endsAt: null, provinces: null }) as unknown as Breakouts;

describe('the national-audio holds', () => {
  it('run once more when speak-to-all changes during a run, so the last decision reaches the SFU last', async () => {
    const peer = teacher('48');
    peer.sessionKey = '48';
    const nationalAudio = { id: 'p-audio', kind: 'audio', national: true, sessionKey: 'main' } as PublishedProducer;
    peer.consumers.set('c1', nationalAudio.id);
    peer.held.add('c1');
    // The SFU answers the first call when the test says so, later ones at once.
    const calls: string[] = [];
    const firstAnswer = deferred();
    const answer = (what: string) => (id: string) => {
      calls.push(`${what} ${id}`);
      return calls.length === 1 ? firstAnswer.promise : Promise.resolve();
    };
    const meeting = {
      sfu: { pauseConsumer: answer('pause'), resumeConsumer: answer('resume') },
      log: { warn: () => undefined },
      peers: new Map([[peer.userId, peer]]),
      published: new Map([[nationalAudio.id, nationalAudio]]),
      breakouts: breakouts(true),
      fallback: { showsNational: () => false },
      closed: false,
    } as unknown as HoldsMeeting & { breakouts: Breakouts };
    const holds = new NationalAudioHolds(meeting);

    const first = holds.applyHolds();
    expect(calls).toEqual(['resume c1']);
    // Speak to all is turned off while the SFU has not answered the release yet.
    meeting.breakouts = breakouts(false);
    const second = holds.applyHolds();
    expect(second).toBe(first);
    firstAnswer.resolve();
    await first;
    expect(calls).toEqual(['resume c1', 'pause c1']);
    expect(peer.held.has('c1')).toBe(true);
  });
});

describe('a move between sessions', () => {
  it('is dropped when, once the SFU has opened the room, the participant belongs elsewhere (a newer move decides)', async () => {
    const peer = teacher('48');
    const opened = deferred();
    let place = '48';
    const done: string[] = [];
    const meeting = {
      id: 'm1',
      sessionOf: (p: Peer) => new MeetingSession('m1', p.sessionKey),
      placeFor: () => place,
      ensureSession: async (key: string) => {
        await opened.promise;
        return new MeetingSession('m1', key);
      },
      state: {
        speaker: async () => null,
        move: async (_u: string, _s: string, key: string) => void done.push(`store move ${key}`),
      },
      attendance: { moved: (_m: string, _u: string, key: string) => void done.push(`attendance ${key}`) },
      endSpeaking: async () => true,
      closeSending: async () => void done.push('close sending'),
      reconcile: async () => void done.push('reconcile'),
    } as unknown as MovesMeeting;
    const moves = new SessionMoves(meeting);

    const moving = moves.move(peer, '48');
    // The breakouts are recalled while the SFU opens the breakout's room.
    place = 'main';
    opened.resolve();
    await moving;
    expect(peer.sessionKey).toBe('main');
    expect(done).toEqual([]);
  });
});
