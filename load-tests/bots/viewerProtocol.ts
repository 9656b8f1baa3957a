/**
 * hoinghi's socket protocol as the viewer bot speaks it: the shapes of the answers it reads (join,
 * createTransport, startConsuming, newConsumer) and one request with its acknowledgement, timeout
 * and typed refusal. Only the fields the bot uses are declared.
 */
import type { Socket } from 'socket.io-client';

export type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

export interface RtpCodec {
  mimeType: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
  parameters?: Record<string, string | number>;
  rtcpFeedback?: { type: string; parameter?: string }[];
}
export interface ConsumerInfo {
  id: string;
  producerId?: string;
  kind: 'audio' | 'video';
  rtpParameters: {
    mid?: string;
    codecs: RtpCodec[];
    headerExtensions?: { uri: string; id: number }[];
    encodings?: { ssrc?: number; rtx?: { ssrc: number } }[];
    rtcp?: { cname?: string };
  };
}
export interface TransportInfo {
  id: string;
  iceParameters: { usernameFragment: string; password: string };
  iceCandidates: { foundation: string; priority: number; ip: string; port: number; protocol: 'udp' | 'tcp'; type: string }[];
  dtlsParameters: { fingerprints: { algorithm: string; value: string }[] };
}
export type RouterCapabilities = { codecs?: RtpCodec[]; headerExtensions?: { uri: string; kind: string }[] };

export interface JoinData {
  routerRtpCapabilities: RouterCapabilities;
  resumeTicket?: string;
  session?: { key: string };
}

/** A request the server refused (or left unanswered: code `timeout`), with its retry hint. */
export class RequestError extends Error {
  constructor(
    readonly event: string,
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * Sends a request on `socket` and resolves with its data; `onAck` hears how it went: the event, ms,
 * and 'ok', the error code, or 'timeout'.
 */
export function request<T>(
  socket: Socket,
  event: string,
  payload: unknown,
  timeoutMs: number,
  onAck: ((event: string, ms: number, outcome: string) => void) | undefined,
): Promise<T> {
  const started = performance.now();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onAck?.(event, performance.now() - started, 'timeout');
      reject(new RequestError(event, 'timeout', `${event}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.emit(event, payload, (res: Ack<T> & { error?: { retryAfterMs?: number } }) => {
      clearTimeout(timer);
      onAck?.(event, performance.now() - started, res.ok ? 'ok' : res.error.code);
      if (res.ok) resolve(res.data);
      else reject(new RequestError(event, res.error.code, `${event}: ${res.error.code} ${res.error.message}`, res.error.retryAfterMs));
    });
  });
}
