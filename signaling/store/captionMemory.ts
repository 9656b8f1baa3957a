/** The captions' store part in memory (one signaling node): see captionTypes.ts. */
import type { CaptionCue } from '../protocol/captions';
import type { CaptionLimits, CaptionLog, PutFinalResult } from './captionTypes';

interface MeetingLines {
  /** Lines in the order they were finished. */
  order: CaptionCue[];
  byId: Map<string, CaptionCue>;
}

const copy = (c: CaptionCue): CaptionCue => ({ ...c, author: { ...c.author } });

export class MemoryCaptionLog implements CaptionLog {
  readonly #meetings = new Map<string, MeetingLines>();

  #lines(meetingId: string): MeetingLines {
    let m = this.#meetings.get(meetingId);
    if (!m) this.#meetings.set(meetingId, (m = { order: [], byId: new Map() }));
    return m;
  }

  async putFinal(meetingId: string, cue: CaptionCue, limits: CaptionLimits): Promise<PutFinalResult> {
    const m = this.#lines(meetingId);
    const old = m.byId.get(cue.id);
    if (old) {
      if (cue.revision !== old.revision + 1) return { result: 'stale', cue: copy(old) };
      const fromEnd = m.order.length - 1 - m.order.lastIndexOf(old);
      if (fromEnd >= limits.correctable) return { result: 'too_old', cue: copy(old) };
      old.text = cue.text;
      old.revision = cue.revision;
      return { result: 'corrected', cue: copy(old) };
    }
    if (cue.revision !== 0) return { result: 'missing', cue: null };
    if (m.order.length >= limits.maxLines) return { result: 'full', cue: null };
    const kept = { ...copy(cue), final: true, revision: 0 };
    m.order.push(kept);
    m.byId.set(kept.id, kept);
    return { result: 'added', cue: copy(kept) };
  }

  async recent(meetingId: string, n: number): Promise<CaptionCue[]> {
    return (this.#meetings.get(meetingId)?.order.slice(-n) ?? []).map(copy);
  }

  async endedBetween(meetingId: string, fromMs: number, toMs: number): Promise<CaptionCue[]> {
    const order = this.#meetings.get(meetingId)?.order ?? [];
    return order.filter((c) => c.endMs !== undefined && c.endMs >= fromMs && c.endMs <= toMs).map(copy);
  }

  async transcript(meetingId: string): Promise<CaptionCue[]> {
    return (this.#meetings.get(meetingId)?.order ?? []).map(copy);
  }

  async close(): Promise<void> {}
}
