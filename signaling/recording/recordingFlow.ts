/**
 * What a session host does with recordings: start and stop recording their own session (the
 * national host the main session, a province host their province's breakout). Everyone in the
 * meeting hears which sessions are being recorded (the "recording" indicator), at join and on
 * every change, wherever in the cluster the recording is made. Anyone joined may ask where the
 * delayed stream (live HLS, recorded or not) of their session is (`watchLive`).
 */
import { AppError, forbidden } from '../protocol/errors';
import type { ClientResultMap, LiveRecording } from '../protocol/events';
import type { Session } from '../meeting/Session';
import type { Meeting } from '../meeting/Meeting';
import { stageKey } from '../meeting/production';
import type { PublishedProducer } from '../store/types';
import type { MeetingNotifier } from '../meeting/Notifier';
import type { RecordingManager } from './RecordingManager';
import type { RecordableStream, RecordingInfo, RecordingSources } from './recordingTypes';
import type { LiveStreams, LiveWatch } from './LiveStreams';
import type { HlsIndex } from './hlsIndex';
import { STOP_ANSWER_MS, type RecordingRelay } from './recordingRelay';

export interface RecordingDeps {
  recordings: RecordingManager;
  live: LiveStreams;
  index: HlsIndex;
  /** Signaling nodes alive now: a recording whose node died is not live any more. */
  aliveNodes: () => Promise<string[]>;
  /** This node's id in the store (and the index). */
  nodeId: string;
  /** The other signaling nodes' recordings (a host who reconnected elsewhere stops theirs there). */
  relay: RecordingRelay;
}

const live = (info: RecordingInfo): LiveRecording => ({ id: info.id, sessionKey: info.sessionKey, startedAt: info.startedAt });

/** The caller's session, which they must host. */
function hostedSession(session: Session) {
  const { meeting, peer } = session.joined();
  const meetingSession = meeting.sessionOf(peer);
  if (!meetingSession.isHost(peer)) throw forbidden('only the session host records it');
  return { meeting, peer, meetingSession };
}

/** One recording per session in the whole cluster: not a second one here while another node makes one. */
export async function startRecording(deps: RecordingDeps, session: Session): Promise<ClientResultMap['startRecording']> {
  const { meeting, peer, meetingSession } = hostedSession(session);
  const elsewhere = (await liveRecordings(deps, meeting.id)).some((r) => r.sessionKey === meetingSession.key && !deps.recordings.isLive(r.id));
  if (elsewhere) throw new AppError('conflict', 'this session is already being recorded');
  return live(await deps.recordings.start(meeting.id, meetingSession.key, peer.userId));
}

/** Stops the session's recording here, or on the node that makes it. */
export async function stopRecording(deps: RecordingDeps, session: Session): Promise<ClientResultMap['stopRecording']> {
  const { meeting, meetingSession } = hostedSession(session);
  if (!deps.recordings.isRecording(meeting.id, meetingSession.key)) {
    const stopped = await deps.relay.stopElsewhere(meeting.id, meetingSession.key);
    if (stopped) return stopped;
  }
  return deps.recordings.stopWithin(meeting.id, meetingSession.key, 'host', STOP_ANSWER_MS);
}

export async function watchLive(deps: RecordingDeps, session: Session): Promise<LiveWatch> {
  const { meeting, peer } = session.joined();
  return deps.live.watch(meeting.id, meeting.sessionOf(peer).key);
}

/**
 * The meeting's recordings being made now, one per session: this node's, and those of other live
 * nodes (the index). Only this node's list is exact for its own sessions: a session recorded here
 * is not also reported from a stale entry of a stopped run elsewhere.
 */
async function liveRecordings(deps: RecordingDeps, meetingId: string): Promise<LiveRecording[]> {
  const bySession = new Map(deps.recordings.active(meetingId).map((r) => [r.sessionKey, live(r)]));
  const indexed = await deps.index.recordings(meetingId).catch(() => []);
  // This node's own entries are in its list above, or not live (a stopped one still finishing).
  const others = indexed.filter((e) => e.info.endedAt === null && e.node.id !== deps.nodeId && !bySession.has(e.info.sessionKey));
  if (others.length > 0) {
    const alive = new Set(await deps.aliveNodes().catch(() => [] as string[]));
    for (const { info, node } of others) {
      // Not one this node started since its list above was read (the index has a recording before that list does).
      if (alive.has(node.id) && !bySession.has(info.sessionKey) && !deps.recordings.isLive(info.id)) bySession.set(info.sessionKey, live(info));
    }
  }
  return [...bySession.values()];
}

/** Tells a socket that just joined which sessions are being recorded. */
export function sendRecordings(deps: RecordingDeps, notify: MeetingNotifier, session: Session): void {
  const meeting = session.meeting;
  if (!meeting) return;
  void liveRecordings(deps, meeting.id).then((list) => notify.toSocket(session.socketId, 'recordings', list));
}

/** Every change reaches the whole meeting (one event per start or stop, not per viewer action). */
export function announceChanges(deps: RecordingDeps, notify: MeetingNotifier, roomOf: (meetingId: string) => string | undefined): void {
  deps.recordings.on('changed', ({ meetingId }) => {
    const room = roomOf(meetingId);
    // Cluster-wide, so the cluster's list (the index has the change: the manager indexes first).
    if (room) void liveRecordings(deps, meetingId).then((list) => notify.toRoom(room, 'recordings', list));
  });
}

/** A source's place on the stage (those not on it last). */
function rank(order: readonly string[], p: PublishedProducer): number {
  const at = order.indexOf(stageKey(p));
  return at < 0 ? order.length : at;
}

/**
 * What a session has on air, read from the meetings open on this node: what recordings and the
 * live HLS fallback take (recordingPlan.ts arranges it). A produced broadcast (backstage on) gives
 * its sources on air in the stage's order, the interpreter's picture when on air, and the stage's
 * layout; otherwise the session hosts' streams, one picture ('single').
 */
export function meetingSources(get: (meetingId: string) => Meeting | undefined): RecordingSources {
  return {
    streams(meetingId, sessionKey) {
      const meeting = get(meetingId);
      const meetingSession = meeting?.sessions.get(sessionKey);
      if (!meeting || !meetingSession) return null;
      const out: RecordableStream[] = [];
      const produced = meeting.production.backstage;
      const order = produced ? meeting.production.stage : [];
      const published = [...meeting.published.values()].sort((a, b) => rank(order, a) - rank(order, b));
      for (const p of published) {
        if (p.sessionKey !== sessionKey) continue;
        const stream: RecordableStream = { producerId: p.id, kind: p.kind, source: p.source };
        // A produced broadcast records what is on air, in the stage's order, and the interpreter.
        if (p.stage) {
          if (!meeting.onAir(p)) continue;
          if (p.stage === 'interpreter') out.push({ ...stream, role: 'interpreter' });
          else out.push(produced ? { ...stream, role: 'stage', order: rank(order, p) } : { ...stream, role: 'stage' });
          continue;
        }
        // A publisher connected to another signaling node is not among this node's peers: a
        // national host's streams are known as such; a breakout host's only from a local peer.
        const publisher = meeting.peers.get(p.peerId);
        const byHost = publisher ? meetingSession.isHost(publisher) : (p.sessionHost ?? (p.national && meetingSession.isMain));
        if (byHost) out.push(stream);
      }
      return out;
    },
    layout(meetingId, sessionKey) {
      const production = get(meetingId)?.production;
      // The stage's layout is the produced broadcast's (the main session's); elsewhere one picture.
      return production?.backstage && sessionKey === 'main' ? production.layout : 'single';
    },
  };
}
