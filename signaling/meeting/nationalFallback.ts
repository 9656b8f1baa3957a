/**
 * A province breakout with nothing of its own on air (no province host signed in, or one who has
 * not started publishing yet) shows the national session instead of a black room: its
 * participants receive the national hosts' camera, screen and sound, the sound not held, until
 * something is published in the breakout. Then the national video goes and the national sound is
 * held again (heard only when the national host speaks to all), as in any breakout.
 *
 * Whether a breakout is covered is read from what is published in the meeting (the store's
 * producers, which every node sees in the same order), so every node decides the same for its own
 * participants. Consumer planning (`wants`) and the national-audio holds (`isHeld`) ask
 * `showsNational`; when a producer event flips a breakout's coverage, `update()` brings that
 * breakout's local participants in line.
 */
import type { Logger } from '../../common/log';
import type { Breakouts, PublishedProducer } from '../store/types';
import { forEachLimited } from './concurrency';
import { MAIN } from './MeetingSession';
import type { Peer } from './Peer';

/** How many participants are brought in line at once after a flip. */
const RECONCILE_CONCURRENCY = 16;

/** Breakout sessions with at least one producer of their own. */
export function coveredSessions(published: Iterable<PublishedProducer>): Set<string> {
  const out = new Set<string>();
  for (const p of published) if (p.sessionKey !== MAIN) out.add(p.sessionKey);
  return out;
}

/** What the fallback reads of the meeting, and how it brings a participant in line (Meeting implements it). */
export interface FallbackMeeting {
  readonly log: Logger;
  readonly peers: ReadonlyMap<string, Peer>;
  readonly published: ReadonlyMap<string, PublishedProducer>;
  readonly breakouts: Breakouts | null;
  readonly epoch: number;
  reconcile(peer: Peer): Promise<void>;
}

export class NationalFallback {
  readonly #meeting: FallbackMeeting;
  #covered = new Set<string>();

  constructor(meeting: FallbackMeeting) {
    this.#meeting = meeting;
  }

  /** Whether a participant placed in `sessionKey` is shown the national session now. */
  showsNational(sessionKey: string): boolean {
    return sessionKey !== MAIN && this.#meeting.breakouts !== null && !this.#covered.has(sessionKey);
  }

  /**
   * Call after the published producers changed: a breakout that gained its first producer, or
   * lost its last one, has its local participants' consumers brought in line (in the background,
   * like a fan-out).
   */
  update(): void {
    const next = coveredSessions(this.#meeting.published.values());
    const flipped = new Set<string>();
    for (const key of next) if (!this.#covered.has(key)) flipped.add(key);
    for (const key of this.#covered) if (!next.has(key)) flipped.add(key);
    this.#covered = next;
    if (flipped.size === 0 || !this.#meeting.breakouts) return;
    const m = this.#meeting;
    const peers = [...m.peers.values()].filter((p) => flipped.has(p.sessionKey) && p.recvTransportId);
    if (peers.length === 0) return;
    m.log.info({ sessions: [...flipped], peers: peers.length }, 'national fallback changed; reconciling');
    const epoch = m.epoch;
    void forEachLimited(peers, RECONCILE_CONCURRENCY, async (peer) => {
      if (epoch !== m.epoch || m.peers.get(peer.userId) !== peer) return;
      await m.reconcile(peer).catch((error: unknown) => m.log.warn({ peer: peer.userId, err: String(error) }, 'fallback reconcile failed'));
    });
  }
}

