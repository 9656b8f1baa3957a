/**
 * What a teacher should be receiving, from the meeting as the server's store has it: the media of
 * the session the server put them in. In a breakout that adds the national sound only while the
 * national host speaks to all, and the national camera only as an overlay; a breakout with
 * nothing of its own on air shows the whole national session instead (nationalFallback.ts).
 * A speaker's muted microphone (a paused producer) sends nothing, and audio-only teachers get no
 * video. This is the rule the README states for a meeting, written out on its own so that the
 * rehearsal checks the server against it rather than against itself.
 */
import { coveredSessions } from '../../signaling/meeting/nationalFallback';
import type { Breakouts, Participant, PublishedProducer } from '../../signaling/store/types';

export interface MeetingView {
  participants: Participant[];
  producers: PublishedProducer[];
  breakouts: Breakouts | null;
  /** Speakers whose microphone the host muted (their mic producer is paused). */
  mutedSpeakers: Set<string>;
}

export function expectedProducers(view: MeetingView, covered: Set<string>, userId: string, sessionKey: string, audioOnly: boolean): Set<string> {
  const out = new Set<string>();
  const b = view.breakouts;
  const fallback = b !== null && sessionKey !== 'main' && !covered.has(sessionKey);
  for (const p of view.producers) {
    if (p.peerId === userId) continue;
    if (audioOnly && p.kind === 'video') continue;
    if (p.source === 'mic' && view.mutedSpeakers.has(p.peerId)) continue;
    if (p.sessionKey === sessionKey) out.add(p.id);
    else if (b && sessionKey !== 'main' && p.national) {
      if (fallback) out.add(p.id);
      else if (p.kind === 'audio' && b.speakToAll) out.add(p.id);
      else if (p.source === 'camera' && b.nationalOverlay) out.add(p.id);
    }
  }
  return out;
}

/** Every participant's expected producers (by user id), and the sessions with media of their own. */
export function expectations(view: MeetingView, audioOnly: (userId: string) => boolean): Map<string, { session: string; producers: Set<string> }> {
  const covered = coveredSessions(view.producers);
  const out = new Map<string, { session: string; producers: Set<string> }>();
  for (const p of view.participants) {
    out.set(p.userId, { session: p.sessionKey, producers: expectedProducers(view, covered, p.userId, p.sessionKey, audioOnly(p.userId)) });
  }
  return out;
}

/**
 * Where a participant belongs now: their province's breakout while breakouts run (when their
 * province is one that split out), else the main session; national hosts always in main.
 */
export function placement(view: Pick<MeetingView, 'breakouts'>, p: Pick<Participant, 'role' | 'province'>): string {
  const b = view.breakouts;
  if (!b || p.role === 'host' || !p.province) return 'main';
  if (b.provinces && !b.provinces.includes(p.province)) return 'main';
  return p.province;
}
