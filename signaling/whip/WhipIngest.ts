/**
 * Studio encoders publishing into a meeting's main session over WHIP (RFC 9725). One resource per
 * encoder: a send transport on the main session's origin router, one producer per accepted m-line
 * (at most one audio and one video), published in the meeting store as a national host's camera
 * and microphone, so that every node offers them to its participants as it does a host's.
 *
 * Nothing half-made stays behind: an offer is read before anything is opened; a failure after the
 * transport was made closes it (its producers with it) and takes back what reached the store. A
 * resource ends on DELETE, when the encoder vanished (the SFU reports its transport lost: silent
 * or disconnected past a grace), when its room is lost (worker or SFU node died), when the meeting's
 * view closes here (the meeting ended, the node stops), and when the node closes. While it lives
 * the meeting is held open on this node (MeetingRegistry.hold).
 */
import { randomBytes } from 'node:crypto';
import { logger } from '../../common/log';
import type { SfuControl } from '../../sfu/types';
import type { Meeting } from '../meeting/Meeting';
import type { MeetingRegistry } from '../meeting/MeetingRegistry';
import { MAIN } from '../meeting/MeetingSession';
import type { PublishedProducer } from '../store/types';
import type { IngestClaims } from './ingestTokens';
import { buildAnswer, dtlsRoles, type AnsweredMedia } from './sdpAnswer';
import { StatusError } from './sdpError';
import { ingestParameters, parseOffer, type Kind } from './sdpOffer';
import { sfuFailure } from './sfuFailure';

const log = logger('whip');

export interface IngestResource {
  id: string;
  meetingId: string;
  name: string;
  transportId: string;
  roomId: string;
  producerIds: string[];
  etag: string;
  startedAt: number;
}

interface Live extends IngestResource {
  meeting: Meeting;
  release: () => void;
  onMeetingClose: () => void;
}

export interface SessionCounter {
  started(kind: 'ingest' | 'playback'): void;
}

export type EndReason = 'deleted' | 'room_lost' | 'meeting_closed' | 'node_closing' | 'source_closed' | 'transport_lost';

export class WhipIngest {
  readonly #registry: Pick<MeetingRegistry, 'getOrCreate' | 'hold'>;
  readonly #sfu: SfuControl;
  readonly #count: SessionCounter;
  readonly #live = new Map<string, Live>();

  constructor(registry: Pick<MeetingRegistry, 'getOrCreate' | 'hold'>, sfu: SfuControl, count: SessionCounter) {
    this.#registry = registry;
    this.#sfu = sfu;
    this.#count = count;
    sfu.on('roomsLost', ({ roomIds }) => {
      for (const r of [...this.#live.values()]) if (roomIds.includes(r.roomId)) void this.end(r.id, 'room_lost');
    });
    // The encoder vanished without DELETE (power cut, network gone): its frozen source leaves the air.
    sfu.on('transportLost', ({ transportId, reason }) => {
      for (const r of this.#live.values()) {
        if (r.transportId !== transportId) continue;
        log.warn({ meeting: r.meetingId, resource: r.id, reason }, 'WHIP ingest: the encoder is gone');
        return void this.end(r.id, 'transport_lost');
      }
    });
  }

  get size(): number {
    return this.#live.size;
  }

  get(resourceId: string): IngestResource | undefined {
    return this.#live.get(resourceId);
  }

  /** Answers an encoder's offer: the resource and the SDP answer. Typed errors only; nothing left behind on failure. */
  async start(meetingId: string, claims: IngestClaims, sdp: string): Promise<{ resource: IngestResource; answer: string }> {
    const offer = parseOffer(sdp);
    const meeting = await this.#registry.getOrCreate(meetingId);
    const release = this.#registry.hold(meeting);
    try {
      const main = await meeting.ensureSession(MAIN);
      const caps = await this.#sfu.openRoom(main.roomId, meeting.viewerRoomId);
      const taken = new Set<Kind>();
      const reasons: string[] = [];
      const plans = offer.media.map((m) => {
        const plan = ingestParameters(m, caps);
        if (!plan.ok) reasons.push(plan.reason);
        else if (taken.has(plan.kind)) reasons.push(`a second m=${plan.kind} (mid ${m.mid}) is not taken`);
        else {
          taken.add(plan.kind);
          return { m, plan };
        }
        return { m, plan: null };
      });
      if (taken.size === 0) throw new StatusError(406, 'bad_request', `nothing in the offer can be received: ${reasons.join('; ')}`);
      const transport = await this.#sfu.createWebRtcTransport(main.roomId, 'send', { watch: true }).catch(sfuFailure);
      const producerIds: string[] = [];
      const published: PublishedProducer[] = [];
      const id = randomBytes(16).toString('hex');
      try {
        await this.#sfu.connectTransport(transport.id, { role: dtlsRoles(offer).client, fingerprints: [offer.fingerprint] as never }).catch(sfuFailure);
        for (const { plan } of plans) {
          if (!plan) continue;
          const { producerId } = await this.#sfu.produce(transport.id, plan.kind, plan.rtpParameters).catch(sfuFailure);
          producerIds.push(producerId);
        }
        if (meeting.closed) throw new StatusError(409, 'conflict', 'the meeting closed while the encoder connected; try again');
        let i = 0;
        for (const { plan } of plans) {
          if (!plan) continue;
          const producer: PublishedProducer = {
            id: producerIds[i++]!,
            kind: plan.kind,
            source: plan.kind === 'audio' ? 'mic' : 'camera',
            // One encoder's token is one presenter: reconnecting, it keeps its place on the stage.
            peerId: `whip:${claims.jti}`,
            peerName: claims.name,
            sessionKey: MAIN,
            roomId: main.roomId,
            national: true,
            sessionHost: true,
            // A presenter's source: backstage until the producer puts it on the stage.
            stage: 'presenter',
          };
          await meeting.state.addProducer(producer);
          published.push(producer);
        }
      } catch (error) {
        await this.#sfu.closeTransport(transport.id).catch(() => undefined);
        if (published.length > 0) await meeting.state.removeProducers(published.map((p) => p.id)).catch(() => undefined);
        throw error;
      }
      const answered: AnsweredMedia[] = plans.map(({ m, plan }) =>
        plan ? { offered: m, accepted: true, direction: 'recvonly', rtpParameters: plan.rtpParameters } : { offered: m, accepted: false },
      );
      const answer = buildAnswer(offer, transport, answered, String(Date.now()));
      const live: Live = {
        id,
        meetingId,
        name: claims.name,
        transportId: transport.id,
        roomId: main.roomId,
        producerIds,
        etag: `"${randomBytes(8).toString('hex')}"`,
        startedAt: Date.now(),
        meeting,
        release,
        onMeetingClose: () => void this.end(id, 'meeting_closed'),
      };
      this.#live.set(id, live);
      meeting.onClose.push(live.onMeetingClose);
      this.#count.started('ingest');
      log.info({ meeting: meetingId, resource: id, name: claims.name, kinds: [...taken], by: claims.by }, 'WHIP ingest started');
      return { resource: live, answer };
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Ends a resource: its producers leave the meeting everywhere, its transport closes. False if unknown. */
  async end(resourceId: string, reason: EndReason): Promise<boolean> {
    const r = this.#live.get(resourceId);
    if (!r) return false;
    this.#live.delete(resourceId);
    const hook = r.meeting.onClose.indexOf(r.onMeetingClose);
    if (hook >= 0) r.meeting.onClose.splice(hook, 1);
    try {
      // A closed view has no store to write to (the meeting ended, or its state went with it).
      if (!r.meeting.closed) await r.meeting.state.removeProducers(r.producerIds);
    } catch (error) {
      log.warn({ meeting: r.meetingId, resource: r.id, err: String(error) }, 'WHIP ingest: removing the producers from the store failed');
    }
    await this.#sfu.closeTransport(r.transportId).catch(() => undefined);
    r.release();
    log.info({ meeting: r.meetingId, resource: r.id, reason, seconds: Math.round((Date.now() - r.startedAt) / 1000) }, 'WHIP ingest ended');
    return true;
  }

  /** The node stops: every encoder's producers leave the meeting (other nodes stop offering them). */
  async close(): Promise<void> {
    await Promise.all([...this.#live.keys()].map((id) => this.end(id, 'node_closing')));
  }
}
