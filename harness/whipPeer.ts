/**
 * A WHIP encoder without a browser, as a process of its own: a node-datachannel PeerConnection
 * (real ICE, DTLS, SRTP) that offers Opus and H.264, POSTs its offer to a WHIP endpoint, connects,
 * and sends an Opus-sized RTP packet every 20 ms until it is killed. It prints `connected <resource
 * URL>` on stdout once media flows. Killed with SIGKILL it vanishes as an encoder whose network
 * is gone does: no DELETE, no DTLS close, nothing more on the wire.
 *
 *   node --import tsx harness/whipPeer.ts <whip url> <token>
 *
 * `startWhipPeer` runs it and resolves once it is connected.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const AUDIO_PT = 111;
const VIDEO_PT = 102;

export interface WhipPeer {
  process: ChildProcess;
  resource: string;
  /** Vanishes: SIGKILL, no goodbye. */
  kill(): void;
}

export function startWhipPeer(url: string, token: string, timeoutMs = 30_000): Promise<WhipPeer> {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', script, url, token], { cwd: path.dirname(path.dirname(script)), stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the WHIP peer did not connect in ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /connected (\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({ process: child, resource: m[1]!, kill: () => child.kill('SIGKILL') });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the WHIP peer exited (${code}): ${err}`));
    });
  });
}

async function main(url: string, token: string): Promise<void> {
  const { PeerConnection, Audio, Video } = await import('node-datachannel');
  const pc = new PeerConnection('whip-peer', { iceServers: [] });
  const audio = new Audio('0', 'SendOnly');
  audio.addOpusCodec(AUDIO_PT);
  const ssrc = 0x1234_5678;
  audio.addSSRC(ssrc, 'whip-peer');
  const video = new Video('1', 'SendOnly');
  video.addH264Codec(VIDEO_PT);
  video.addSSRC(0x2345_6789, 'whip-peer');
  const track = pc.addTrack(audio);
  pc.addTrack(video);
  const gathered = new Promise<void>((resolve) => pc.onGatheringStateChange((s) => s === 'complete' && resolve()));
  const connected = new Promise<void>((resolve, reject) => pc.onStateChange((s) => (s === 'connected' ? resolve() : s === 'failed' ? reject(new Error('ICE/DTLS failed')) : undefined)));
  pc.setLocalDescription();
  await gathered;
  const offer = pc.localDescription()!.sdp;
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp', authorization: `Bearer ${token}` }, body: offer });
  if (res.status !== 201) throw new Error(`WHIP POST: ${res.status} ${await res.text()}`);
  pc.setRemoteDescription(await res.text(), 'answer');
  await connected;
  await new Promise<void>((resolve) => (track.isOpen() ? resolve() : track.onOpen(() => resolve())));
  let seq = 0;
  let ts = 0;
  setInterval(() => {
    const packet = Buffer.alloc(12 + 60, 0x55);
    packet[0] = 0x80;
    packet[1] = AUDIO_PT;
    packet.writeUInt16BE(seq++ & 0xffff, 2);
    packet.writeUInt32BE((ts += 960) >>> 0, 4);
    packet.writeUInt32BE(ssrc, 8);
    track.sendMessageBinary(packet);
  }, 20);
  process.stdout.write(`connected ${new URL(res.headers.get('location')!, url).href}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main(process.argv[2]!, process.argv[3]!).catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
