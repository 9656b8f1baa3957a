/**
 * The browser side of a meeting, as the React components and the store see it: one object per
 * signed-in meeting page. The store only gets plain state from here; tracks and mediasoup-client
 * objects stay inside. The work is done by
 *   connection.ts   the socket, typed requests, reconnects and moves, token refresh
 *   joinFlow.ts     join → Device → receive transport → consume (on every connect and `rejoin`)
 *   receiver.ts     the receive transport and consumers; layerFlow.ts the layers they ask for
 *   sender.ts       capture, the send transport and producers; onAirWatch.ts
 *   handFlow.ts, speakFlow.ts, breakoutFlow.ts, rosterFlow.ts, recordingFlow.ts: the features,
 *                   named as the server's flows in signaling/meeting/
 * This file wires the server's events to them and keeps the page's API.
 */
import type { AckOf, ClientEvent, ClientRequest, CrewRole, MeetingEndedInfo, ServerToClientEvents } from '../../../signaling/protocol/events';
import { NO_SPEAK_STATE, useStore, type Source } from '../state/store';
import * as breakoutFlow from './breakoutFlow';
import * as productionFlow from './productionFlow';
import { Connection, type MeetingClientOptions } from './connection';
import * as handFlow from './handFlow';
import { JoinFlow } from './joinFlow';
import { setAudioOnly, setDataSaver } from './layerFlow';
import { Receiver } from './receiver';
import * as recordingFlow from './recordingFlow';
import { participantsPage } from './rosterFlow';
import { Sender } from './sender';
import * as speakFlow from './speakFlow';
import { warn } from './warn';
import { WebRtcFallback } from './webrtcFallback';

export { RequestError } from './requestError';
export type { MeetingClientOptions } from './connection';

export class MeetingClient {
  readonly #conn: Connection;
  readonly #fallback = new WebRtcFallback();
  readonly #receiver: Receiver;
  readonly #sender: Sender;
  readonly #join: JoinFlow;

  constructor(token: string, meetingId: string, options: MeetingClientOptions = {}) {
    const rejoin = (): void => this.#join.schedule();
    this.#conn = new Connection(token, meetingId, options, {
      join: rejoin,
      dropped: () => this.#join.left(),
      end: (info) => this.#end(info),
    });
    this.#receiver = new Receiver(this.#conn, this.#fallback, rejoin);
    this.#sender = new Sender(this.#conn, rejoin);
    this.#join = new JoinFlow(this.#conn, this.#receiver, this.#sender, this.#fallback, (info) => this.#end(info));

    const on = this.#conn.on.bind(this.#conn);
    const store = useStore.getState;
    on('inviteDeclined', (info) => store().setDeclined(info));
    on('rejoin', rejoin);
    on('newConsumer', (info) => void this.#receiver.consume(info).catch((e) => warn('consume', e)));
    on('consumerClosed', ({ consumerId }) => this.#receiver.closedOnServer(consumerId));
    on('meetingStats', (stats) => {
      const wasLarge = store().stats?.massAudience === true;
      store().setStats(stats);
      if (stats.massAudience !== wasLarge) void this.#sender.applyCameraProfile(stats.massAudience);
    });
    on('provinceStats', ({ viewers }) => store().setProvinceViewers(viewers));
    on('handQueue', (summary) => store().setHandSummary(summary));
    on('speakersChanged', (speakers) => store().setSpeakers(speakers));
    on('activeSpeakers', (speakers) => store().setActiveSpeakers(speakers));
    on('breakouts', (state) => store().setBreakouts(state));
    on('breakoutStatus', (status) => store().setBreakoutStatus(status));
    on('notice', (notice) => store().addNotice(notice));
    on('recordings', (live) => store().setLiveRecordings(live));
    on('stage', (stage) => store().setStage(stage));
    on('production', (production) => store().setProduction(production));
    on('sessionChanged', (info) => void breakoutFlow.onSessionChanged(info, this.#receiver, this.#sender).catch((e) => warn('sessionChanged', e)));
    on('speakState', (state) => void speakFlow.onSpeakState(state, this.#receiver, this.#sender).catch((e) => warn('speakState', e)));
  }

  get meetingId(): string {
    return this.#conn.meetingId;
  }

  get token(): string {
    return this.#conn.token;
  }

  /** Sends one request; the answer's data, or a RequestError with the server's code. */
  request<E extends ClientEvent>(event: E, payload: ClientRequest<E>): Promise<AckOf<E>> {
    return this.#conn.request(event, payload);
  }

  /** Listens to a server event (for feature modules such as web/src/qa); returns the unsubscribe. */
  on<E extends keyof ServerToClientEvents>(event: E, listener: ServerToClientEvents[E]): () => void {
    return this.#conn.on(event, listener);
  }

  /** Tries to connect now (after `replaced`: take the meeting back to this tab; or skip a wait). */
  reconnectNow(): void {
    this.#conn.reconnectNow();
  }

  // Receiving.
  /** The track of a consumer, for a <video>/<audio> element. */
  track(consumerId: string): MediaStreamTrack | undefined {
    return this.#receiver.track(consumerId);
  }

  /** Asks for a simulcast layer of one video consumer (`null`: its default); see layerFlow.ts. */
  setConsumerLayer(consumerId: string, spatialLayer: number | null): Promise<void> {
    return this.#receiver.layers.setConsumerLayer(consumerId, spatialLayer);
  }

  /** Data saver on or off: the server caps this viewer's downlink (lowest video layer). */
  setDataSaver(on: boolean): Promise<void> {
    return setDataSaver(this.#conn, this.#receiver.receiving, on);
  }

  /** Receive audio only, or audio and video again. */
  setAudioOnly(on: boolean): Promise<void> {
    return setAudioOnly(this.#conn, this.#receiver.receiving, on);
  }

  /** A teacher chooses the delayed HLS stream (no real-time media at all), or real time again. */
  async chooseDelayed(on: boolean): Promise<void> {
    const store = useStore.getState();
    store.setHlsChosen(on);
    if (on) this.#fallback.use('chosen');
    else store.setMediaPath('webrtc', null);
    // The join flow runs again: without media when chosen, with it otherwise.
    this.#join.schedule();
  }

  // Sending.
  /** Host or speaker: start camera, microphone or screen. */
  start(source: Source): Promise<void> {
    return this.#sender.start(source);
  }

  /** Host or speaker: stop camera, microphone or screen. */
  stop(source: Source): Promise<void> {
    return this.#sender.stop(source);
  }

  localTrack(source: Source): MediaStreamTrack | undefined {
    return this.#sender.localTrack(source);
  }

  /** Subscribe to changes of local tracks (for previews). */
  subscribe(listener: () => void): () => void {
    return this.#sender.subscribe(listener);
  }

  // Hands and speaking (handFlow.ts, speakFlow.ts).
  /** Raises or lowers the hand; while disconnected the wish is kept and sent after the rejoin. */
  setHand(want: boolean): Promise<void> {
    return handFlow.setHand(this.#conn, this.#join, want);
  }

  respondInvitation(accept: boolean): Promise<AckOf<'respondInvitation'>> {
    return speakFlow.respondInvitation(this.#conn, accept);
  }

  stopSpeaking(): Promise<AckOf<'stopSpeaking'>> {
    return speakFlow.stopSpeaking(this.#conn);
  }

  inviteSpeaker(userId: string, allowVideo: boolean): Promise<AckOf<'inviteSpeaker'>> {
    return speakFlow.inviteSpeaker(this.#conn, userId, allowVideo);
  }

  muteSpeaker(userId: string, muted: boolean): Promise<AckOf<'muteSpeaker'>> {
    return speakFlow.muteSpeaker(this.#conn, userId, muted);
  }

  revokeSpeaker(userId: string): Promise<AckOf<'revokeSpeaker'>> {
    return speakFlow.revokeSpeaker(this.#conn, userId);
  }

  lowerHands(scope: ClientRequest<'lowerHands'>): Promise<AckOf<'lowerHands'>> {
    return handFlow.lowerHands(this.#conn, scope);
  }

  handQueuePage(offset: number, limit: number): Promise<AckOf<'handQueuePage'>> {
    return handFlow.handQueuePage(this.#conn, offset, limit);
  }

  participantsPage(query: string, province: string | null, offset: number, limit: number): Promise<AckOf<'participantsPage'>> {
    return participantsPage(this.#conn, query, province, offset, limit);
  }

  // National host: breakouts (breakoutFlow.ts).
  startBreakouts(durationS: number | undefined, nationalOverlay: boolean): Promise<AckOf<'startBreakouts'>> {
    return breakoutFlow.startBreakouts(this.#conn, durationS, nationalOverlay);
  }

  extendBreakouts(seconds: number): Promise<AckOf<'extendBreakouts'>> {
    return breakoutFlow.extendBreakouts(this.#conn, seconds);
  }

  endBreakouts(): Promise<AckOf<'endBreakouts'>> {
    return breakoutFlow.endBreakouts(this.#conn);
  }

  speakToAll(on: boolean): Promise<AckOf<'speakToAll'>> {
    return breakoutFlow.speakToAll(this.#conn, on);
  }

  sendNotice(text: string): Promise<AckOf<'sendNotice'>> {
    return breakoutFlow.sendNotice(this.#conn, text);
  }

  // The produced broadcast (productionFlow.ts).
  /** Hosts and producers: one change of the stage. */
  updateStage(change: ClientRequest<'updateStage'>): Promise<AckOf<'updateStage'>> {
    return productionFlow.updateStage(this.#conn, change);
  }

  /** Hosts and producers: name someone to the crew, or remove them (`null`). */
  setCrew(userId: string, role: CrewRole | null, name?: string): Promise<AckOf<'setCrew'>> {
    return productionFlow.setCrew(this.#conn, userId, role, name);
  }

  /** See the sign-language interpreter's picture (remembered across visits). */
  setInterpreterView(on: boolean): Promise<void> {
    return productionFlow.setInterpreterView(this.#conn, this.#receiver.receiving, on);
  }

  // Session hosts: recording; teachers: the delayed stream (recordingFlow.ts).
  startRecording(): Promise<AckOf<'startRecording'>> {
    return recordingFlow.startRecording(this.#conn);
  }

  stopRecording(): Promise<AckOf<'stopRecording'>> {
    return recordingFlow.stopRecording(this.#conn);
  }

  watchLive(): Promise<AckOf<'watchLive'>> {
    return recordingFlow.watchLive(this.#conn);
  }

  /** Stops everything this client runs: timers, media, local capture (the camera light goes off). */
  #stopAll(): void {
    this.#fallback.close();
    this.#conn.stopTimers();
    this.#sender.stopOnAirWatch();
    this.#join.closeMedia();
    this.#receiver.layers.reset();
    this.#sender.stopCapture();
    const store = useStore.getState();
    store.setPendingHand(null);
    store.setOnAir(false);
    for (const s of ['camera', 'mic', 'screen'] as const) store.setPublishing(s, false);
  }

  /**
   * The meeting is over: everything stops and nothing is retried; the page says so (status
   * `ended`, and how it ended when the server told us). The server closes the connection.
   */
  #end(info: MeetingEndedInfo | null): void {
    if (this.#conn.closed) return;
    this.#conn.markEnded();
    this.#join.left();
    this.#stopAll();
    const store = useStore.getState();
    if (info) store.setMeetingEnded(info);
    store.setJoinQueue(null);
    store.setStatus('ended');
  }

  close(): void {
    this.#conn.markClosed();
    this.#stopAll();
    this.#conn.closeSocket();
    const store = useStore.getState();
    store.setStatus('idle');
    store.setSelf(null);
    store.setSpeakState(NO_SPEAK_STATE);
  }
}
