/**
 * Captions over the socket: a captioner (or national host) sends the line being typed and the
 * finished lines; anyone joined asks for the last few lines. Each captioner has their own flood
 * limits here (beside the dispatcher's per-class budget): a refusal is `rate_limited` with a
 * retry time, and nothing is delivered.
 */
import { AppError, forbidden } from '../protocol/errors';
import type { ClientPayload } from '../protocol/schemas';
import type { ClientResultMap } from '../protocol/events';
import type { CaptionCue } from '../protocol/captions';
import { TokenBucket, withJitter } from '../rateLimit';
import type { Session } from '../meeting/Session';
import type { Meeting } from '../meeting/Meeting';
import type { Peer } from '../meeting/Peer';
import type { CaptionChannel } from './CaptionChannel';
import { mayCaption } from './captionRights';

/** Per captioner: interim updates (sustained per second, burst) and final lines. */
export const CAPTIONER_LIMITS = { interim: [8, 16], final: [2, 8] } as const;
/** Captioners' buckets kept at most (the least recently used go first). */
const MAX_BUCKETS = 10_000;

type Handler = (session: Session, payload: never) => Promise<unknown>;

class CaptionerLimits {
  readonly #buckets = new Map<string, TokenBucket>();

  /** 0, or the ms until this captioner may send this kind again. */
  take(meetingId: string, userId: string, kind: keyof typeof CAPTIONER_LIMITS): number {
    const key = `${meetingId}|${userId}|${kind}`;
    let bucket = this.#buckets.get(key);
    if (bucket) this.#buckets.delete(key);
    else bucket = new TokenBucket(CAPTIONER_LIMITS[kind][0], CAPTIONER_LIMITS[kind][1]);
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > MAX_BUCKETS) this.#buckets.delete(this.#buckets.keys().next().value!);
    return bucket.take();
  }
}

async function requireCaptioner(session: Session): Promise<{ meeting: Meeting; peer: Peer }> {
  const joined = session.joined();
  if (!mayCaption(joined.meeting, joined.peer)) throw forbidden('only captioners and national hosts write captions');
  return joined;
}

function cueOf(peer: Peer, p: { id: string; text: string; typingMs: number }, final: boolean, revision: number): CaptionCue {
  const now = Date.now();
  const cue: CaptionCue = {
    id: p.id,
    text: p.text,
    startMs: now - p.typingMs,
    final,
    author: { userId: peer.userId, name: peer.claims.name, kind: 'human' },
    revision,
  };
  if (final) cue.endMs = now;
  return cue;
}

/** The caption events' handlers, bound to this node's channel (spread into the socket dispatcher). */
export function captionHandlers(channel: CaptionChannel) {
  const limits = new CaptionerLimits();
  const limited = (meetingId: string, userId: string, kind: keyof typeof CAPTIONER_LIMITS): void => {
    const wait = limits.take(meetingId, userId, kind);
    if (wait > 0) throw new AppError('rate_limited', kind === 'final' ? 'caption lines sent too fast' : 'caption updates sent too fast', withJitter(wait));
  };
  return {
    captionInterim: async (session: Session, p: ClientPayload<'captionInterim'>): Promise<ClientResultMap['captionInterim']> => {
      const { meeting, peer } = await requireCaptioner(session);
      limited(meeting.id, peer.userId, 'interim');
      await channel.publish(meeting.id, cueOf(peer, p, false, 0));
      return {};
    },
    captionFinal: async (session: Session, p: ClientPayload<'captionFinal'>): Promise<ClientResultMap['captionFinal']> => {
      const { meeting, peer } = await requireCaptioner(session);
      limited(meeting.id, peer.userId, 'final');
      return { cue: await channel.publish(meeting.id, cueOf(peer, p, true, p.revision)) };
    },
    captionsRecent: async (session: Session): Promise<ClientResultMap['captionsRecent']> => {
      const { meeting } = session.joined();
      return { lines: await channel.recent(meeting.id) };
    },
  } satisfies Record<'captionInterim' | 'captionFinal' | 'captionsRecent', Handler>;
}

/** The dispatcher's per-user budget for caption events (sustained per second, burst): above the captioner's own limits. */
export const CAPTION_CLASS_BUDGET = { captions: [12, 30] } as const satisfies Record<string, readonly [number, number]>;
export const CAPTION_EVENT_CLASS = { captionInterim: 'captions', captionFinal: 'captions', captionsRecent: 'captions' } as const;
