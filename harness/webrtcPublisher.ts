/**
 * A host that publishes pre-encoded media over real WebRTC, without a browser or a live encoder:
 * ffmpeg loops a VP8 + Opus clip with `-c copy` into two local UDP ports as plain RTP, and this
 * bot forwards each packet, unchanged, over a node-datachannel PeerConnection (ICE, DTLS, SRTP)
 * to the host's send transport, after speaking hoinghi's protocol (join → createTransport send →
 * connectTransport → produce camera and mic).
 *
 * The producers are single-encoding (no simulcast): VP8 with the SSRC ffmpeg uses, Opus likewise.
 *
 *   const host = await WebRtcPublisher.start({ url, token, meetingId, clip });
 *   host.stats();   // packets forwarded
 *   host.close();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { PeerConnection, Video, Audio, type Track } from 'node-datachannel';
import { io, type Socket } from 'socket.io-client';

export interface WebRtcPublisherOptions {
  url: string;
  /** A host's access token. */
  token: string;
  meetingId: string;
  /** A WebM file with one VP8 and one Opus stream; looped. */
  clip: string;
  /**
   * Emulate Opus DTX on the wire (ffmpeg's libopus has no DTX switch): while the clip's audio is
   * silent (Opus packets of at most 10 payload bytes), forward one packet every 400 ms, as a DTX
   * encoder does, and renumber the audio sequence so the receiver sees no gap. Default false.
   */
  dtx?: boolean;
  timeoutMs?: number;
}

type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

interface TransportInfo {
  id: string;
  iceParameters: { usernameFragment: string; password: string };
  iceCandidates: { foundation: string; priority: number; ip: string; port: number; protocol: 'udp' | 'tcp' }[];
  dtlsParameters: { fingerprints: { algorithm: string; value: string }[] };
}

const VIDEO_PT = 96;
const AUDIO_PT = 111;

function request<T>(socket: Socket, event: string, payload: unknown, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${event}: no answer in ${timeoutMs} ms`)), timeoutMs);
    socket.emit(event, payload, (res: Ack<T>) => {
      clearTimeout(timer);
      if (res.ok) resolve(res.data);
      else reject(new Error(`${event}: ${res.error.code} ${res.error.message}`));
    });
  });
}

/** The SFU's SDP answer to our offer, built from its transport parameters. */
function answerSdp(offer: string, transport: TransportInfo): string {
  const fp = transport.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256') ?? transport.dtlsParameters.fingerprints[0]!;
  const mids = [...offer.matchAll(/^a=mid:(\S+)/gm)].map((m) => m[1]!);
  const sections = offer.split(/\r\n(?=m=)/).slice(1);
  const lines = ['v=0', `o=hoinghi-sfu ${randomInt(1, 2 ** 31)} 1 IN IP4 0.0.0.0`, 's=-', 't=0 0', 'a=ice-lite', `a=fingerprint:${fp.algorithm} ${fp.value}`, `a=group:BUNDLE ${mids.join(' ')}`];
  const udp = transport.iceCandidates.filter((c) => c.protocol === 'udp');
  sections.forEach((section, i) => {
    const kind = section.startsWith('m=audio') ? 'audio' : 'video';
    const pt = kind === 'audio' ? AUDIO_PT : VIDEO_PT;
    lines.push(`m=${kind} 7 UDP/TLS/RTP/SAVPF ${pt}`, 'c=IN IP4 127.0.0.1', 'a=rtcp:9 IN IP4 0.0.0.0');
    lines.push(`a=ice-ufrag:${transport.iceParameters.usernameFragment}`, `a=ice-pwd:${transport.iceParameters.password}`);
    for (const c of udp) lines.push(`a=candidate:${c.foundation} 1 udp ${c.priority} ${c.ip} ${c.port} typ host`);
    // The SFU is the DTLS client of a publisher (mediasoup-client answers setup:active too).
    lines.push('a=end-of-candidates', 'a=setup:active', `a=mid:${mids[i]}`, 'a=recvonly', 'a=rtcp-mux', 'a=rtcp-rsize');
    if (kind === 'audio') lines.push(`a=rtpmap:${AUDIO_PT} opus/48000/2`, `a=fmtp:${AUDIO_PT} minptime=10;useinbandfec=1`);
    else lines.push(`a=rtpmap:${VIDEO_PT} VP8/90000`, `a=rtcp-fb:${VIDEO_PT} nack`, `a=rtcp-fb:${VIDEO_PT} nack pli`, `a=rtcp-fb:${VIDEO_PT} ccm fir`);
  });
  return lines.join('\r\n') + '\r\n';
}

export class WebRtcPublisher {
  readonly #socket: Socket;
  readonly #pc: PeerConnection;
  readonly #udp: dgram.Socket[] = [];
  #ffmpeg: ChildProcess | null = null;
  #forwarded = 0;
  #dtxDropped = 0;
  #lastSilentSentMs = 0;
  #closed = false;
  readonly producers: { camera: string; mic: string } = { camera: '', mic: '' };
  readonly ssrcs = { video: randomInt(1, 2 ** 31), audio: randomInt(1, 2 ** 31) };

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.#pc = new PeerConnection(`host-${this.ssrcs.video}`, { iceServers: [], forceMediaTransport: true });
  }

  static async start(opts: WebRtcPublisherOptions): Promise<WebRtcPublisher> {
    const socket = io(opts.url, { transports: ['websocket'], auth: { token: opts.token }, reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (e) => reject(e));
    });
    const p = new WebRtcPublisher(socket);
    try {
      await p.#run(opts);
    } catch (error) {
      p.close();
      throw error;
    }
    return p;
  }

  async #run(opts: WebRtcPublisherOptions): Promise<void> {
    const t = opts.timeoutMs ?? 30_000;
    await request(this.#socket, 'join', { meetingId: opts.meetingId }, t);
    const transport = await request<TransportInfo>(this.#socket, 'createTransport', { direction: 'send' }, t);

    const video = new Video('0', 'SendOnly');
    video.addVP8Codec(VIDEO_PT);
    video.addSSRC(this.ssrcs.video, 'host');
    const audio = new Audio('1', 'SendOnly');
    audio.addOpusCodec(AUDIO_PT);
    audio.addSSRC(this.ssrcs.audio, 'host');
    const tracks: Record<'video' | 'audio', Track> = { video: this.#pc.addTrack(video), audio: this.#pc.addTrack(audio) };
    const connected = new Promise<void>((resolve, reject) => {
      this.#pc.onStateChange((state) => {
        if (state === 'connected') resolve();
        if (state === 'failed') reject(new Error('publisher peer connection failed'));
      });
    });
    const offer = new Promise<string>((resolve) => this.#pc.onLocalDescription((sdp) => resolve(sdp)));
    this.#pc.setLocalDescription();
    const sdp = await offer;
    this.#pc.setRemoteDescription(answerSdp(sdp, transport), 'answer');
    const fp = /a=fingerprint:(\S+) (\S+)/.exec(sdp)!;
    // We answered for the SFU with setup:active, so this bot is the DTLS server.
    await request(this.#socket, 'connectTransport', {
      transportId: transport.id,
      dtlsParameters: { role: 'server', fingerprints: [{ algorithm: fp[1]!.toLowerCase(), value: fp[2]! }] },
    }, t);
    await Promise.race([connected, new Promise((_, reject) => setTimeout(() => reject(new Error('publisher ICE/DTLS timeout')), t))]);

    const cname = 'hoinghi-bench-host';
    const cam = await request<{ producerId: string }>(this.#socket, 'produce', {
      transportId: transport.id,
      kind: 'video',
      source: 'camera',
      rtpParameters: {
        mid: '0',
        codecs: [{ mimeType: 'video/VP8', payloadType: VIDEO_PT, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }] }],
        headerExtensions: [],
        encodings: [{ ssrc: this.ssrcs.video }],
        rtcp: { cname },
      },
    }, t);
    const mic = await request<{ producerId: string }>(this.#socket, 'produce', {
      transportId: transport.id,
      kind: 'audio',
      source: 'mic',
      rtpParameters: {
        mid: '1',
        codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO_PT, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 } }],
        headerExtensions: [],
        encodings: [{ ssrc: this.ssrcs.audio }],
        rtcp: { cname },
      },
    }, t);
    this.producers.camera = cam.producerId;
    this.producers.mic = mic.producerId;

    // ffmpeg → two local UDP ports → the tracks, packet by packet.
    const ports: number[] = [];
    for (const kind of ['video', 'audio'] as const) {
      const sock = dgram.createSocket('udp4');
      sock.on('message', (msg) => {
        if (this.#closed || !tracks[kind].isOpen()) return;
        if (msg.length >= 12 && msg[1]! >= 192 && msg[1]! <= 223) return; // ffmpeg's RTCP
        if (kind === 'audio' && opts.dtx && !this.#dtxForward(msg)) return;
        try {
          tracks[kind].sendMessageBinary(msg);
          this.#forwarded += 1;
        } catch {
          // closing
        }
      });
      await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
      ports.push(sock.address().port);
      this.#udp.push(sock);
    }
    this.#ffmpeg = spawn('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', opts.clip,
      '-map', '0:v:0', '-c:v', 'copy', '-f', 'rtp', '-ssrc', String(this.ssrcs.video), '-payload_type', String(VIDEO_PT), `rtp://127.0.0.1:${ports[0]}?pkt_size=1200`,
      '-map', '0:a:0', '-c:a', 'copy', '-f', 'rtp', '-ssrc', String(this.ssrcs.audio), '-payload_type', String(AUDIO_PT), `rtp://127.0.0.1:${ports[1]}?pkt_size=1200`,
    ], { stdio: ['ignore', 'ignore', 'inherit'] });
  }

  /** DTX emulation: false to drop this audio packet; renumbers the ones forwarded. */
  #dtxForward(msg: Buffer): boolean {
    const header = 12 + 4 * (msg[0]! & 0x0f);
    if (msg.length - header <= 10) {
      const now = performance.now();
      if (now - this.#lastSilentSentMs < 400) {
        this.#dtxDropped += 1;
        return false;
      }
      this.#lastSilentSentMs = now;
    }
    msg.writeUInt16BE((msg.readUInt16BE(2) - this.#dtxDropped) & 0xffff, 2);
    return true;
  }

  /** RTP packets forwarded to the SFU so far, and audio packets DTX emulation held back. */
  stats(): { forwarded: number; dtxDropped: number } {
    return { forwarded: this.#forwarded, dtxDropped: this.#dtxDropped };
  }

  /** The ffmpeg process feeding the bot (to pin it away from a measured core). */
  get ffmpegPid(): number | undefined {
    return this.#ffmpeg?.pid;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ffmpeg?.kill('SIGKILL');
    for (const s of this.#udp) s.close();
    try {
      this.#pc.close();
    } catch {
      // already closed
    }
    this.#socket.close();
  }
}
