/**
 * The real side of the model-based tests: signaling nodes (one, or two sharing Redis), and one
 * socket.io client per actor that does what a real client does (joins, receives on a transport,
 * resumes what it is offered, publishes with RTP parameters as a browser sends them) and keeps
 * what the server told it (session, consumers, speak state, breakouts, speakers, hands,
 * recordings). Every request must be answered within the liveness bound.
 */
import type { HoinghiServer } from '../../../signaling/server';
import type {
  Ack,
  BreakoutsState,
  ClientResultMap,
  ConsumerInfo,
  HandQueueSummary,
  JoinResult,
  LiveRecording,
  SessionInfo,
  SpeakState,
  SpeakerInfo,
  StageView,
} from '../../../signaling/protocol/events';
import { connectClient, request, type TestSocket } from '../../../harness/server';
import { audioRtpParameters, dtlsParameters, videoRtpParameters } from '../../../harness/media';
import type { Action, ActionContext, Answer } from './actions';
import { kindOf, type ActorSpec, type Source } from './model';

export interface WorldOptions {
  /** An acknowledgement later than this is a liveness failure, ms. */
  ackBoundMs: number;
}

/** What one connection was told by the server, kept from its answers and events. */
export class Observed {
  /** Consumer id → its producer. */
  readonly consuming = new Map<string, { producerId: string; kind: 'audio' | 'video' }>();
  session: SessionInfo | null = null;
  speak: SpeakState | null = null;
  breakouts: BreakoutsState | null = null;
  speakers: SpeakerInfo[] | null = null;
  active: { userId: string }[] | null = null;
  hands: HandQueueSummary | null = null;
  recordings: LiveRecording[] | null = null;
  /** The stage as told last (the newest by server time). */
  stage: StageView | null = null;
  /** Told the meeting ended, and disconnected by the server. */
  ended = false;
  disconnected = false;
  /** Protocol errors pushed without an ack, and answers to background requests that were wrong. */
  readonly problems: string[] = [];
}

export class LivenessError extends Error {}

const MID: Record<Source, string> = { camera: '0', mic: '1', screen: '2' };

export class ActorClient {
  /** Its node changes when it reconnects elsewhere. */
  readonly spec: ActorSpec;
  readonly world: World;
  socket: TestSocket | null = null;
  obs = new Observed();
  sendTransportId: string | null = null;
  /** The producer id of each source this client published last. */
  readonly producerIds = new Map<Source, string>();
  /** Background requests (resumes) still unanswered. */
  readonly #background = new Set<Promise<void>>();

  constructor(world: World, spec: ActorSpec) {
    this.world = world;
    this.spec = spec;
  }

  get server(): HoinghiServer {
    return this.world.nodes[this.spec.node]!;
  }

  /**
   * One request, answered within the bound. A `rate_limited` answer is retried after the delay
   * the server gave (what a client does), so the model sees the action, not the budget.
   */
  async request<E extends keyof ClientResultMap>(event: E, payload: unknown): Promise<Ack<ClientResultMap[E]>> {
    const socket = this.socket;
    if (!socket) throw new Error(`${this.spec.id} has no connection`);
    for (let attempt = 0; ; attempt++) {
      const started = Date.now();
      const res = await request(socket, event, payload, {
        timeoutMs: this.world.options.ackBoundMs,
        timeoutError: () => new LivenessError(`liveness: no acknowledgement of ${this.spec.id}.${event} within ${this.world.options.ackBoundMs} ms`),
      });
      this.world.note(`${this.spec.id}.${event} → ${res.ok ? 'ok' : res.error.code} (${Date.now() - started} ms)`);
      if (res.ok || res.error.code !== 'rate_limited' || attempt >= 8) return res;
      await new Promise((r) => setTimeout(r, res.error.retryAfterMs ?? 500));
    }
  }

  async #call<E extends keyof ClientResultMap>(event: E, payload: unknown): Promise<ClientResultMap[E]> {
    const res = await this.request(event, payload);
    if (!res.ok) throw new StepError(res.error.code, `${event}: ${res.error.message}`);
    return res.data;
  }

  #listen(socket: TestSocket, obs: Observed): void {
    const on = socket.on.bind(socket) as (ev: string, cb: (arg: never) => void) => void;
    on('newConsumer', (c: ConsumerInfo) => {
      for (const [, have] of obs.consuming) if (have.producerId === c.producerId) obs.problems.push(`a second consumer of ${c.producerId}`);
      obs.consuming.set(c.id, { producerId: c.producerId, kind: c.kind });
      this.#resume(c.id);
    });
    on('consumerClosed', ({ consumerId }: { consumerId: string }) => void obs.consuming.delete(consumerId));
    on('sessionChanged', (s: SessionInfo) => void (obs.session = s));
    on('speakState', (s: SpeakState) => void (obs.speak = s));
    on('breakouts', (b: BreakoutsState) => this.#breakouts(b));
    on('speakersChanged', (s: SpeakerInfo[]) => void (obs.speakers = s));
    on('activeSpeakers', (s: { userId: string }[]) => void (obs.active = s));
    on('handQueue', (h: HandQueueSummary) => void (obs.hands = h));
    on('recordings', (r: LiveRecording[]) => void (obs.recordings = r));
    on('stage', (s: StageView) => void ((!obs.stage || obs.stage.serverNow <= s.serverNow) && (obs.stage = s)));
    on('meetingEnded', () => void (obs.ended = true));
    on('disconnect', () => void (obs.disconnected = true));
    on('protocolError', (e: { code: string; event: string }) => void obs.problems.push(`protocolError ${e.code} on ${e.event}`));
  }

  /**
   * Keeps the newest breakouts state: a join's answer and the broadcasts can cross (in a
   * cluster, a broadcast from another node may be older or newer than the answer), so the one
   * with the later server time wins.
   */
  #breakouts(b: BreakoutsState): void {
    if (!this.obs.breakouts || this.obs.breakouts.serverNow <= b.serverNow) this.obs.breakouts = b;
  }

  /** A client resumes every consumer it is offered (held ones stay paused on the server). */
  #resume(consumerId: string): void {
    const p = this.request('resumeConsumer', { consumerId })
      .then((res) => {
        // The consumer may have closed meanwhile (its producer went): not_found is an answer.
        if (!res.ok && res.error.code !== 'not_found') this.obs.problems.push(`resumeConsumer answered ${res.error.code} (${res.error.message})`);
      })
      .catch((error: unknown) => {
        if (error instanceof LivenessError) this.world.liveness.push(error.message);
      })
      .finally(() => this.#background.delete(p));
    this.#background.add(p);
  }

  /** Connects and runs the join flow: join, a receive transport, everything offered consumed. */
  async join(): Promise<Answer> {
    const socket = await connectClient(this.server, this.world.tokenFor(this.spec));
    this.socket = socket;
    this.obs = new Observed();
    this.sendTransportId = null;
    this.#listen(socket, this.obs);
    try {
      const join = await this.#call('join', { meetingId: this.world.meetingId });
      // The session comes with sessionChanged (sent during the join), never older than the answer.
      this.#breakouts(join.breakouts);
      const t = await this.#call('createTransport', { direction: 'recv' });
      await this.#call('connectTransport', { transportId: t.id, dtlsParameters });
      const { consumers } = await this.#call('startConsuming', { rtpCapabilities: join.routerRtpCapabilities });
      for (const c of consumers) {
        this.obs.consuming.set(c.id, { producerId: c.producerId, kind: c.kind });
        this.#resume(c.id);
      }
      return { ok: true, data: join satisfies JoinResult };
    } catch (error) {
      if (!(error instanceof StepError)) throw error;
      this.disconnect();
      return { ok: false, code: error.code, message: error.message };
    }
  }

  /** Drops the connection (the server sees a disconnect, not a leave). */
  disconnect(): void {
    this.socket?.removeAllListeners();
    this.socket?.close();
    this.socket = null;
    this.sendTransportId = null;
  }

  async publish(source: Source, reuseTransport: boolean): Promise<Answer> {
    try {
      // One send transport per client; a client whose producers all went (a grant ended, a
      // move) makes a new one, as the web client does.
      if (!this.sendTransportId || !reuseTransport) {
        const t = await this.#call('createTransport', { direction: 'send' });
        await this.#call('connectTransport', { transportId: t.id, dtlsParameters });
        this.sendTransportId = t.id;
      }
      const res = await this.#call('produce', {
        transportId: this.sendTransportId,
        kind: kindOf(source),
        source,
        // One mid per source, as a browser's transceivers have (distinct on one transport).
        rtpParameters: source === 'mic' ? audioRtpParameters(MID[source]) : videoRtpParameters(MID[source]),
      });
      this.producerIds.set(source, res.producerId);
      return { ok: true, data: res };
    } catch (error) {
      if (error instanceof StepError) return { ok: false, code: error.code, message: error.message };
      throw error;
    }
  }

  /** Waits for the background requests (resumes) to be answered. */
  async settled(): Promise<void> {
    await Promise.all([...this.#background]);
  }
}

export class StepError extends Error {
  readonly code: Exclude<Answer, { ok: true }>['code'];
  constructor(code: StepError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** The actors, their meeting and the nodes they connect through. */
export class World {
  readonly nodes: HoinghiServer[];
  readonly meetingId: string;
  readonly options: WorldOptions;
  readonly actors = new Map<string, ActorClient>();
  /** Liveness failures seen in background requests. */
  readonly liveness: string[] = [];
  /** `hoinghi_queue_stalls_total` of every node when the run began. */
  stallsAtStart = 0;
  /** The last requests and answers, for a failure's report. */
  readonly journal: string[] = [];

  constructor(nodes: HoinghiServer[], meetingId: string, specs: ActorSpec[], options: WorldOptions) {
    this.nodes = nodes;
    this.meetingId = meetingId;
    this.options = options;
    for (const spec of specs) this.actors.set(spec.id, new ActorClient(this, { ...spec, node: spec.node % nodes.length }));
  }

  note(line: string): void {
    this.journal.push(line);
    if (this.journal.length > 2000) this.journal.splice(0, this.journal.length - 2000);
  }

  tokenFor(spec: ActorSpec): string {
    return this.nodes[0]!.tokens.issue(
      { sub: spec.id, name: spec.id, role: spec.role, province: spec.province, school: null, meetings: [this.meetingId] },
      3600,
    );
  }

  actor(id: string): ActorClient {
    const a = this.actors.get(id);
    if (!a) throw new Error(`no actor ${id}`);
    return a;
  }

  /**
   * Performs one action as its actor's client does. `context` carries what the client knows
   * before acting (whether it publishes anything, the poll or question it picked).
   */
  async perform(a: Action, context: ActionContext): Promise<Answer> {
    const c = this.actor(a.actor);
    const answer = async <E extends keyof ClientResultMap>(event: E, payload: unknown): Promise<Answer> => {
      const res = await c.request(event, payload);
      return res.ok ? { ok: true, data: res.data } : { ok: false, code: res.error.code, message: res.error.message };
    };
    switch (a.type) {
      case 'join':
        return c.join();
      case 'leave': {
        const res = await answer('leave', {});
        c.disconnect();
        return res;
      }
      case 'reconnect':
        c.disconnect();
        if (a.elsewhere && this.nodes.length > 1) {
          c.spec.node = (c.spec.node + 1) % this.nodes.length;
          this.note(`${c.spec.id} reconnects through node ${c.spec.node}`);
        }
        return c.join();
      case 'drop':
        c.disconnect();
        return { ok: true, data: {} };
      case 'raiseHand':
        return answer('raiseHand', {});
      case 'lowerHand':
        return answer('lowerHand', {});
      case 'lowerAllHands':
        return answer('lowerHands', { scope: 'all' });
      case 'invite':
        return answer('inviteSpeaker', { userId: a.target, allowVideo: a.allowVideo });
      case 'respond':
        return answer('respondInvitation', { accept: a.accept });
      case 'mute':
        return answer('muteSpeaker', { userId: a.target, muted: a.muted });
      case 'revoke':
        return answer('revokeSpeaker', { userId: a.target });
      case 'stopSpeaking':
        return answer('stopSpeaking', {});
      case 'startBreakouts':
        return answer('startBreakouts', {
          nationalOverlay: a.overlay,
          ...(a.provinces ? { provinces: a.provinces } : {}),
          ...(a.durationS !== null ? { durationS: a.durationS } : {}),
        });
      case 'timedBreakouts': {
        const res = await answer('startBreakouts', { nationalOverlay: false, durationS: 1 });
        if (!res.ok) return res;
        // The breakouts' own timer calls everyone back: the host hears it within the bound.
        const started = res.data as BreakoutsState;
        const deadline = Date.now() + Math.max(0, started.endsAt! - started.serverNow) + this.options.ackBoundMs;
        while (c.obs.breakouts?.active !== false || c.obs.breakouts.serverNow < started.endsAt!) {
          if (Date.now() > deadline) throw new LivenessError(`liveness: timed breakouts did not end within ${this.options.ackBoundMs} ms of their deadline`);
          await new Promise((r) => setTimeout(r, 20));
        }
        return res;
      }
      case 'extendBreakouts':
        return answer('extendBreakouts', { seconds: a.seconds });
      case 'endBreakouts':
        return answer('endBreakouts', {});
      case 'speakToAll':
        return answer('speakToAll', { on: a.on });
      case 'publish':
        return c.publish(a.source, context.reuseTransport ?? false);
      case 'unpublish': {
        const id = c.producerIds.get(a.source);
        if (!id) return { ok: false, code: 'not_found', message: 'never published' };
        return answer('closeProducer', { producerId: id });
      }
      case 'audioOnly':
        return answer('setAudioOnly', { on: a.on });
      case 'startRecording':
        return answer('startRecording', {});
      case 'stopRecording':
        return answer('stopRecording', {});
      case 'pollCreate':
        return answer('pollCreate', { question: 'Thầy cô đã nhận tài liệu chưa?', options: ['Rồi', 'Chưa'], launch: true });
      case 'pollVote':
        return answer('pollVote', { pollId: context.pollId ?? 'p999999', choices: [a.choice] });
      case 'pollClose':
        return answer('pollClose', { pollId: context.pollId ?? 'p999999' });
      case 'qaAsk':
        return answer('qaAsk', { text: `Câu hỏi của ${a.actor} lúc ${Date.now()}` });
      case 'qaVote':
        return answer('qaVote', { questionId: context.questionId ?? 'q999999' });
      case 'endMeeting':
        return this.#endMeeting(c);
      case 'resync': {
        c.server.sockets.registry.get(this.meetingId)?.resync('the meeting model');
        // A write after it (the layout, which the model does not follow): its answer waits until
        // this node applied it, in the same queue as the resync, after it.
        return answer('updateStage', { type: 'layout', layout: 'grid' });
      }
      case 'setCrew':
        return answer('setCrew', { userId: a.target, role: a.role, ...(a.named ? { name: `Người ${a.target}` } : {}) });
      case 'backstage':
        return answer('updateStage', { type: 'backstage', on: a.on });
      case 'put':
        return answer('updateStage', { type: 'put', key: a.key, on: a.on });
      case 'goLive':
        return answer('updateStage', { type: 'goLive', inS: 0 });
      case 'goLiveCountdown': {
        const res = await answer('updateStage', { type: 'goLive', inS: 1 });
        if (!res.ok) return res;
        // The countdown is waited out (the nodes share this clock): the stage is live after it.
        const p = res.data as { liveAt: number | null; serverNow: number };
        await new Promise((r) => setTimeout(r, Math.max(0, (p.liveAt ?? p.serverNow) - p.serverNow) + 20));
        return res;
      }
      case 'endLive':
        return answer('updateStage', { type: 'endLive' });
      case 'interpreterView':
        return answer('setInterpreterView', { on: a.on });
    }
  }

  /**
   * Ends the meeting through the host's node, within the bound; then everyone connected must have
   * been told (`meetingEnded`) and disconnected by the server, within the bound too.
   */
  async #endMeeting(host: ActorClient): Promise<Answer> {
    const inside = [...this.actors.values()].filter((a) => a.socket);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LivenessError(`liveness: ending the meeting took over ${this.options.ackBoundMs} ms`)), this.options.ackBoundMs);
    });
    const started = Date.now();
    const reports = await Promise.race([host.server.ender.end(this.meetingId, 'ended'), late]).finally(() => clearTimeout(timer));
    this.note(`${host.spec.id} ends the meeting → ${JSON.stringify(reports)} (${Date.now() - started} ms)`);
    const deadline = Date.now() + this.options.ackBoundMs;
    for (const a of inside) {
      while (!a.obs.ended || !a.obs.disconnected) {
        if (Date.now() > deadline) {
          throw new LivenessError(`liveness: ${a.spec.id} was not ${a.obs.ended ? 'disconnected' : 'told the meeting ended'} within ${this.options.ackBoundMs} ms of its end`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      a.disconnect();
    }
    return { ok: true, data: reports };
  }

  /** Waits for every actor's background requests. */
  async settled(): Promise<void> {
    await Promise.all([...this.actors.values()].map((a) => a.settled()));
  }

  /** Closes every connection (a run's end; the meeting is not reused). */
  close(): void {
    for (const a of this.actors.values()) a.disconnect();
  }
}
