/**
 * WHEP playback of a meeting's broadcast: a receive transport on a viewer edge (placed as a
 * teacher's is), the broadcast's video and audio (broadcastSources.ts) piped there and consumed
 * with the capabilities the client's offer gives, resumed once the transport is connected.
 *
 * A resource is bound to the sources on air when it started: when one of them closes (its
 * consumer closes with it) the resource ends, and the client connects again. It also ends on
 * DELETE, when the player vanished (its transport lost: silent past a grace), when its edge is lost, when the meeting's view closes here, and when the node closes.
 */
import { randomBytes } from 'node:crypto';
import { logger } from '../../common/log';
import type { SfuControl } from '../../sfu/types';
import type { Meeting } from '../meeting/Meeting';
import type { MeetingRegistry } from '../meeting/MeetingRegistry';
import { MAIN } from '../meeting/MeetingSession';
import { broadcastSources } from './broadcastSources';
import { buildAnswer, dtlsRoles, type AnsweredMedia } from './sdpAnswer';
import { StatusError } from './sdpError';
import { isWebRtcMedia, parseOffer, receiveCapabilities, type Kind } from './sdpOffer';
import { sfuFailure } from './sfuFailure';
import type { EndReason, SessionCounter } from './WhipIngest';

const log = logger('whep');

export interface PlaybackResource {
  id: string;
  meetingId: string;
  userId: string;
  transportId: string;
  edgeRoomId: string;
  consumerIds: string[];
  etag: string;
  startedAt: number;
}

interface Live extends PlaybackResource {
  meeting: Meeting;
  release: () => void;
  onMeetingClose: () => void;
}

export class WhepPlayback {
  readonly #registry: Pick<MeetingRegistry, 'getOrCreate' | 'hold'>;
  readonly #sfu: SfuControl;
  readonly #count: SessionCounter;
  readonly #live = new Map<string, Live>();

  constructor(registry: Pick<MeetingRegistry, 'getOrCreate' | 'hold'>, sfu: SfuControl, count: SessionCounter) {
    this.#registry = registry;
    this.#sfu = sfu;
    this.#count = count;
    sfu.on('consumerClosed', ({ transportId }) => {
      for (const r of this.#live.values()) if (r.transportId === transportId) return void this.end(r.id, 'source_closed');
    });
    sfu.on('roomsLost', ({ roomIds }) => {
      for (const r of [...this.#live.values()]) if (roomIds.includes(r.edgeRoomId)) void this.end(r.id, 'room_lost');
    });
    // The player vanished without DELETE: nobody watches, the consumers stop.
    sfu.on('transportLost', ({ transportId }) => {
      for (const r of this.#live.values()) if (r.transportId === transportId) return void this.end(r.id, 'transport_lost');
    });
  }

  get size(): number {
    return this.#live.size;
  }

  get(resourceId: string): PlaybackResource | undefined {
    return this.#live.get(resourceId);
  }

  /** Answers a viewer's offer (the caller was authorised for the meeting). Typed errors; nothing left behind on failure. */
  async start(meetingId: string, userId: string, sdp: string): Promise<{ resource: PlaybackResource; answer: string }> {
    const offer = parseOffer(sdp);
    const meeting = await this.#registry.getOrCreate(meetingId);
    const release = this.#registry.hold(meeting);
    try {
      await meeting.ensureSession(MAIN);
      const caps = await this.#sfu.openRoom(meeting.viewerRoomId);
      const rtpCapabilities = receiveCapabilities(offer, caps);
      const sources = broadcastSources(meeting.published.values());
      if (!sources.video && !sources.audio) throw new StatusError(409, 'conflict', 'nothing is on air in this meeting yet; try again when the broadcast starts');
      const edgeRoomId = await this.#sfu.placeViewer(meeting.viewerRoomId).catch(sfuFailure);
      const transport = await this.#sfu.createWebRtcTransport(edgeRoomId, 'recv', { watch: true }).catch(sfuFailure);
      const consumerIds: string[] = [];
      const answered: AnsweredMedia[] = [];
      try {
        const used = new Set<Kind>();
        for (const m of offer.media) {
          const source = isWebRtcMedia(m) && (m.direction === 'recvonly' || m.direction === 'sendrecv') && !used.has(m.kind) ? sources[m.kind] : null;
          if (!source || !isWebRtcMedia(m)) {
            answered.push({ offered: m, accepted: false });
            continue;
          }
          const localId = await this.#sfu.pipeProducer(source.id, edgeRoomId).catch(sfuFailure);
          const params = await this.#sfu.consume(transport.id, localId, rtpCapabilities).catch(sfuFailure);
          if (!params) {
            answered.push({ offered: m, accepted: false });
            continue;
          }
          used.add(m.kind);
          consumerIds.push(params.id);
          answered.push({ offered: m, accepted: true, direction: 'sendonly', rtpParameters: params.rtpParameters, msid: { stream: `hoinghi-${meetingId}`, track: params.id } });
        }
        if (consumerIds.length === 0) {
          const served = (caps.codecs ?? []).filter((c) => !/\/rtx$/i.test(c.mimeType)).map((c) => `${c.mimeType.split('/')[1]} ${c.preferredPayloadType}`).join(', ');
          throw new StatusError(406, 'bad_request', `the offer cannot receive what is on air: it needs recvonly m-lines with this server's codecs and payload types (${served})`);
        }
        await this.#sfu.connectTransport(transport.id, { role: dtlsRoles(offer).client, fingerprints: [offer.fingerprint] as never }).catch(sfuFailure);
        for (const id of consumerIds) await this.#sfu.resumeConsumer(id).catch(sfuFailure);
      } catch (error) {
        await this.#sfu.closeTransport(transport.id).catch(() => undefined);
        throw error;
      }
      const id = randomBytes(16).toString('hex');
      const live: Live = {
        id,
        meetingId,
        userId,
        transportId: transport.id,
        edgeRoomId,
        consumerIds,
        etag: `"${randomBytes(8).toString('hex')}"`,
        startedAt: Date.now(),
        meeting,
        release,
        onMeetingClose: () => void this.end(id, 'meeting_closed'),
      };
      this.#live.set(id, live);
      meeting.onClose.push(live.onMeetingClose);
      this.#count.started('playback');
      log.info({ meeting: meetingId, resource: id, user: userId, video: sources.video?.id ?? null, audio: sources.audio?.id ?? null }, 'WHEP playback started');
      return { resource: live, answer: buildAnswer(offer, transport, answered, String(Date.now())) };
    } catch (error) {
      release();
      throw error;
    }
  }

  async end(resourceId: string, reason: EndReason): Promise<boolean> {
    const r = this.#live.get(resourceId);
    if (!r) return false;
    this.#live.delete(resourceId);
    const hook = r.meeting.onClose.indexOf(r.onMeetingClose);
    if (hook >= 0) r.meeting.onClose.splice(hook, 1);
    await this.#sfu.closeTransport(r.transportId).catch(() => undefined);
    r.release();
    log.info({ meeting: r.meetingId, resource: r.id, reason, seconds: Math.round((Date.now() - r.startedAt) / 1000) }, 'WHEP playback ended');
    return true;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#live.keys()].map((id) => this.end(id, 'node_closing')));
  }
}
