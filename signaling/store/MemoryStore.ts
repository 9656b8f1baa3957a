/**
 * The single-node meeting store: plain maps in this process. Events are delivered synchronously,
 * in order, to this process's subscribers; no other node exists to hear them.
 */
import { randomUUID } from 'node:crypto';
import type { HandEntry, HandQueueSummary, Notice, SpeakerInfo } from '../protocol/events';
import { HandQueue } from './HandQueue';
import type {
  Breakouts,
  InviteResult,
  MeetingCounts,
  MeetingEvent,
  MeetingSnapshot,
  MeetingState,
  MeetingStore,
  Participant,
  ParticipantQuery,
  PublishedProducer,
  SequencedEvent,
} from './types';
import { NOTICES_KEPT, NO_PRODUCTION, type Production } from './types';

/** A deep copy (nothing shared with a caller that might change it). */
function copyProduction(p: Production): Production {
  return structuredClone(p);
}
import { countBy, countSessions, matchesQuery } from './roster';
import { MemoryQa } from './qaMemory';
import type { QaState } from './qaTypes';

class MemoryMeetingState implements MeetingState {
  readonly meetingId: string;
  readonly qa: QaState = new MemoryQa();
  readonly #listeners = new Set<(event: SequencedEvent) => void>();
  readonly #roster = new Map<string, Participant>();
  readonly #hands = new Map<string, HandQueue>();
  readonly #speakers = new Map<string, Map<string, SpeakerInfo>>();
  readonly #producers = new Map<string, PublishedProducer>();
  readonly #departures = new Map<string, number>();
  #notices: Notice[] = [];
  #breakouts: Breakouts | null = null;
  #production: Production = NO_PRODUCTION;
  #seq = 0;

  constructor(meetingId: string) {
    this.meetingId = meetingId;
  }

  #publish(event: MeetingEvent): void {
    this.#seq += 1;
    const sequenced = { ...event, seq: this.#seq } as SequencedEvent;
    for (const l of this.#listeners) l(sequenced);
  }

  get writtenSeq(): number {
    return this.#seq;
  }

  subscribe(listener: (event: SequencedEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async snapshot(): Promise<MeetingSnapshot> {
    return { seq: this.#seq, producers: [...this.#producers.values()], breakouts: this.#breakouts && { ...this.#breakouts }, production: copyProduction(this.#production) };
  }

  onResync(): () => void {
    // Nothing can be missed in one process.
    return () => undefined;
  }

  // ---- roster ---------------------------------------------------------------------------------

  async join(p: Participant): Promise<Participant | null> {
    const previous = this.#roster.get(p.userId) ?? null;
    this.#roster.set(p.userId, { ...p });
    return previous;
  }

  async leave(userId: string, socketId: string): Promise<boolean> {
    const p = this.#roster.get(userId);
    if (!p || p.socketId !== socketId) return false;
    this.#roster.delete(userId);
    return true;
  }

  async move(userId: string, socketId: string, sessionKey: string): Promise<boolean> {
    const p = this.#roster.get(userId);
    if (!p || p.socketId !== socketId) return false;
    p.sessionKey = sessionKey;
    return true;
  }

  async participant(userId: string): Promise<Participant | null> {
    const p = this.#roster.get(userId);
    return p ? { ...p } : null;
  }

  async participants(query: ParticipantQuery): Promise<{ total: number; rows: Participant[] }> {
    const rows: Participant[] = [];
    let total = 0;
    for (const p of this.#roster.values()) {
      if (!matchesQuery(p, query)) continue;
      if (total >= query.offset && rows.length < query.limit) rows.push({ ...p });
      total += 1;
    }
    return { total, rows };
  }

  async counts(): Promise<MeetingCounts> {
    let hosts = 0;
    for (const p of this.#roster.values()) if (p.role === 'host') hosts += 1;
    const sessions = countSessions(this.#roster.values());
    for (const [key, q] of this.#hands) {
      const s = sessions[key];
      if (s) s.hands = q.size;
      else if (q.size > 0) sessions[key] = { teachers: 0, hosts: 0, hands: q.size };
    }
    return { viewers: this.#roster.size - hosts, hosts, sessions, provinces: countBy(this.#roster.values(), 'province') };
  }

  async schoolCounts(schools: readonly string[]): Promise<Record<string, number>> {
    const wanted = new Set(schools);
    return countBy([...this.#roster.values()].filter((p) => p.school !== null && wanted.has(p.school)), 'school');
  }

  async nodes(): Promise<string[]> {
    return [...new Set([...this.#roster.values()].map((p) => p.node))];
  }

  async evictNode(node: string, deadline: number): Promise<string[]> {
    const evicted: string[] = [];
    for (const [userId, p] of this.#roster) {
      if (p.node !== node) continue;
      this.#roster.delete(userId);
      this.#departures.set(userId, deadline);
      evicted.push(userId);
    }
    return evicted;
  }

  // ---- departures -------------------------------------------------------------------------------

  async departed(userId: string, deadline: number): Promise<void> {
    this.#departures.set(userId, deadline);
  }

  async arrived(userId: string): Promise<void> {
    this.#departures.delete(userId);
  }

  async claimExpiredDepartures(now: number, max: number): Promise<string[]> {
    const out: string[] = [];
    for (const [userId, deadline] of this.#departures) {
      if (out.length >= max) break;
      if (deadline > now) continue;
      this.#departures.delete(userId);
      if (!this.#roster.has(userId)) out.push(userId);
    }
    return out;
  }

  // ---- hands --------------------------------------------------------------------------------------

  #queue(sessionKey: string): HandQueue {
    let q = this.#hands.get(sessionKey);
    if (!q) {
      q = new HandQueue();
      this.#hands.set(sessionKey, q);
    }
    return q;
  }

  async raiseHand(sessionKey: string, owner: Omit<HandEntry, 'seq' | 'raisedAt'>): Promise<{ entry: HandEntry; changed: boolean }> {
    return this.#queue(sessionKey).raise(owner);
  }

  async lowerHand(sessionKey: string, userId: string): Promise<boolean> {
    return this.#hands.get(sessionKey)?.lower(userId) ?? false;
  }

  async lowerHands(sessionKey: string, province?: string): Promise<string[]> {
    return this.#hands.get(sessionKey)?.lowerWhere(province) ?? [];
  }

  async handRaised(sessionKey: string, userId: string): Promise<boolean> {
    return this.#hands.get(sessionKey)?.has(userId) ?? false;
  }

  async handSeq(sessionKey: string): Promise<number> {
    return this.#hands.get(sessionKey)?.seq ?? 0;
  }

  async handSummary(sessionKey: string, head: number, now: number): Promise<HandQueueSummary> {
    return this.#queue(sessionKey).summary(head, now);
  }

  async handPage(sessionKey: string, offset: number, limit: number): Promise<{ entries: HandEntry[]; total: number }> {
    const q = this.#queue(sessionKey);
    return { entries: q.page(offset, limit), total: q.size };
  }

  async sessionKeys(): Promise<string[]> {
    return [...new Set([...this.#hands.keys(), ...this.#speakers.keys()])];
  }

  // ---- speakers -----------------------------------------------------------------------------------

  #speakerMap(sessionKey: string): Map<string, SpeakerInfo> {
    let m = this.#speakers.get(sessionKey);
    if (!m) {
      m = new Map();
      this.#speakers.set(sessionKey, m);
    }
    return m;
  }

  async speakers(sessionKey: string): Promise<SpeakerInfo[]> {
    return [...(this.#speakers.get(sessionKey)?.values() ?? [])].map((s) => ({ ...s }));
  }

  async speaker(sessionKey: string, userId: string): Promise<SpeakerInfo | null> {
    const s = this.#speakers.get(sessionKey)?.get(userId);
    return s ? { ...s } : null;
  }

  async invite(sessionKey: string, speaker: SpeakerInfo, max: number): Promise<InviteResult> {
    const m = this.#speakerMap(sessionKey);
    if (m.has(speaker.userId)) return 'exists';
    if (m.size >= max) return 'full';
    m.set(speaker.userId, { ...speaker });
    return 'ok';
  }

  async accept(sessionKey: string, userId: string): Promise<SpeakerInfo | null> {
    const s = this.#speakers.get(sessionKey)?.get(userId);
    if (!s || s.state !== 'invited') return null;
    s.state = 'speaking';
    return { ...s };
  }

  async mute(sessionKey: string, userId: string, muted: boolean): Promise<SpeakerInfo | null> {
    const s = this.#speakers.get(sessionKey)?.get(userId);
    if (!s || s.state !== 'speaking') return null;
    s.muted = muted;
    this.#publish({ type: 'speakerMuted', sessionKey, userId, muted });
    return { ...s };
  }

  async endSpeaker(sessionKey: string, userId: string): Promise<boolean> {
    if (!this.#speakers.get(sessionKey)?.delete(userId)) return false;
    this.#publish({ type: 'speakerEnded', sessionKey, userId });
    return true;
  }

  // ---- breakouts ----------------------------------------------------------------------------------

  async breakouts(): Promise<Breakouts | null> {
    return this.#breakouts && { ...this.#breakouts };
  }

  async startBreakouts(b: Omit<Breakouts, 'version'>): Promise<Breakouts | null> {
    if (this.#breakouts) return null;
    this.#breakouts = { ...b, version: 1 };
    this.#publish({ type: 'breakouts', breakouts: { ...this.#breakouts } });
    return { ...this.#breakouts };
  }

  async updateBreakouts(change: { extendS?: number; speakToAll?: boolean }, now: number): Promise<Breakouts | null> {
    const b = this.#breakouts;
    if (!b) return null;
    if (change.extendS !== undefined) b.endsAt = Math.max(b.endsAt ?? now, now) + change.extendS * 1000;
    if (change.speakToAll !== undefined) b.speakToAll = change.speakToAll;
    b.version += 1;
    this.#publish({ type: 'breakouts', breakouts: { ...b } });
    return { ...b };
  }

  async endBreakouts(): Promise<Breakouts | null> {
    const b = this.#breakouts;
    if (!b) return null;
    this.#breakouts = null;
    this.#publish({ type: 'breakouts', breakouts: null });
    return b;
  }

  // ---- production --------------------------------------------------------------------------------

  async production(): Promise<Production> {
    return copyProduction(this.#production);
  }

  async setProduction(expected: number, next: Omit<Production, 'version'>): Promise<Production | null> {
    if (this.#production.version !== expected) return null;
    this.#production = copyProduction({ ...next, version: expected + 1 });
    this.#publish({ type: 'production', production: copyProduction(this.#production) });
    return copyProduction(this.#production);
  }

  // ---- producers -----------------------------------------------------------------------------------

  async addProducer(producer: PublishedProducer): Promise<void> {
    this.#producers.set(producer.id, { ...producer });
    this.#publish({ type: 'producerAdded', producer: { ...producer } });
  }

  async removeProducers(producerIds: string[]): Promise<void> {
    const removed = producerIds.filter((id) => this.#producers.delete(id));
    if (removed.length > 0) this.#publish({ type: 'producersRemoved', producerIds: removed });
  }

  async addNotice(notice: Notice): Promise<void> {
    this.#notices = [...this.#notices, { ...notice }].slice(-NOTICES_KEPT);
  }

  async notices(since: number): Promise<Notice[]> {
    return this.#notices.filter((n) => n.at >= since).map((n) => ({ ...n }));
  }

  async destroy(): Promise<void> {
    this.#notices = [];
    this.#roster.clear();
    this.#hands.clear();
    this.#speakers.clear();
    this.#producers.clear();
    this.#departures.clear();
    this.#breakouts = null;
    this.#production = NO_PRODUCTION;
  }

  close(): void {
    this.#listeners.clear();
  }
}

export class MemoryStore implements MeetingStore {
  readonly kind = 'memory';
  readonly nodeId = `local-${randomUUID().slice(0, 8)}`;
  readonly #meetings = new Map<string, MemoryMeetingState>();

  meeting(meetingId: string): MeetingState {
    let m = this.#meetings.get(meetingId);
    if (!m) {
      m = new MemoryMeetingState(meetingId);
      this.#meetings.set(meetingId, m);
    }
    return m;
  }

  async healthy(): Promise<boolean> {
    return true;
  }

  async aliveNodes(): Promise<string[]> {
    return [this.nodeId];
  }

  async close(): Promise<void> {
    for (const m of this.#meetings.values()) m.close();
    this.#meetings.clear();
  }
}
