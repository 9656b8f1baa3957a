/**
 * How much of each kind of client event a user may send: every event belongs to a class, each
 * class has its own per-user token bucket (sustained per second, burst), and refusals cost a
 * socket strikes until it is disconnected for flooding (socketServer.ts applies them).
 */
import type { ClientEventName } from './protocol/schemas';
import { QA_CLASS_BUDGET, QA_EVENT_CLASS } from './qa/qaEvents';
import { CAPTION_CLASS_BUDGET, CAPTION_EVENT_CLASS } from './captions/captionFlow';

/** Event classes, each with its own per-user budget (sustained per second, burst). */
export const EVENT_CLASS: Record<ClientEventName, keyof typeof CLASS_BUDGET> = {
  join: 'join',
  leave: 'join',
  createTransport: 'media',
  connectTransport: 'media',
  startConsuming: 'media',
  resumeConsumer: 'media',
  setConsumerLayers: 'media',
  setAudioOnly: 'media',
  setDataSaver: 'media',
  setLayerCeiling: 'media',
  produce: 'produce',
  closeProducer: 'produce',
  pauseProducer: 'produce',
  resumeProducer: 'produce',
  raiseHand: 'hand',
  lowerHand: 'hand',
  lowerHands: 'host',
  handQueuePage: 'host',
  participantsPage: 'host',
  inviteSpeaker: 'host',
  respondInvitation: 'host',
  muteSpeaker: 'host',
  revokeSpeaker: 'host',
  stopSpeaking: 'host',
  startBreakouts: 'breakout',
  extendBreakouts: 'breakout',
  endBreakouts: 'breakout',
  speakToAll: 'breakout',
  sendNotice: 'notice',
  refreshToken: 'auth',
  ...QA_EVENT_CLASS,
  ...CAPTION_EVENT_CLASS,
  startRecording: 'host',
  stopRecording: 'host',
  watchLive: 'live',
  updateStage: 'stage',
  setCrew: 'stage',
  setInterpreterView: 'media',
  listClips: 'stage',
  playClip: 'clip',
  stopClip: 'clip',
};
export const CLASS_BUDGET = {
  join: [1, 6],
  media: [30, 120],
  produce: [5, 20],
  hand: [5, 10],
  host: [20, 60],
  breakout: [2, 6],
  notice: [0.2, 3],
  auth: [0.1, 3],
  live: [0.5, 5],
  /** A producer clicks fast while cutting between presenters. */
  stage: [5, 20],
  /** Each play starts an ffmpeg: a few a second at most. */
  clip: [1, 5],
  ...QA_CLASS_BUDGET,
  ...CAPTION_CLASS_BUDGET,
} as const satisfies Record<string, readonly [number, number]>;
/**
 * A socket that keeps sending after being refused is flooding: each refusal costs a strike (the
 * strikes refill at 5/s); with none left the socket is disconnected and its state cleaned up.
 */
export const STRIKES_PER_SECOND = 5;
export const STRIKE_BURST = 100;
