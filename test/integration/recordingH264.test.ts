/**
 * Recording and the live HLS of an H.264 source (a studio encoder over WHIP sends H.264 only):
 * real mediasoup workers with the platform's router codecs, a live H.264 + Opus source (ffmpeg:
 * libx264 constrained baseline, packetization mode 1, into plain-RTP producers), the SFU's
 * recorder taps, Debian's ffmpeg reading the SDP the recorder writes, and ffprobe counting the
 * frames of the result.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSfu } from '../../sfu/LocalSfu';
import { playlistSegments } from '../../signaling/recording/Recorder';
import { RecordingManager } from '../../signaling/recording/RecordingManager';
import type { RecordableStream, RecordingSettings } from '../../signaling/recording/recordingTypes';
import { waitFor } from '../../harness/browser';
import { publishH264, type RtpSource } from '../../harness/rtpSource';
import { testConfig } from '../../harness/server';

const MEETING = 'rec-h264';
let sfu: LocalSfu;
let source: RtpSource;
let dir: string;
let streams: RecordableStream[];
let manager: RecordingManager;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-rec-h264-'));
  sfu = await LocalSfu.create(testConfig().sfu);
  await sfu.openRoom(MEETING);
  source = await publishH264(sfu, MEETING);
  streams = [
    { producerId: source.videoProducerId, kind: 'video', source: 'camera' },
    { producerId: source.audioProducerId, kind: 'audio', source: 'mic' },
  ];
  const settings: RecordingSettings = {
    dir,
    rtpIp: '127.0.0.1',
    minFreeBytes: 64 * 2 ** 20,
    retentionDays: 30,
    diskCheckIntervalMs: 60_000,
    recorder: { ffmpegPath: 'ffmpeg', segmentSeconds: 2, restartBackoffMs: { min: 200, max: 2_000 } },
  };
  manager = new RecordingManager(settings, sfu, { streams: (meetingId, key) => (meetingId === MEETING && key === 'main' ? streams : null) });
}, 180_000);

afterAll(async () => {
  await manager?.close();
  source?.stop();
  await sfu?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('recording an H.264 source', () => {
  it('the recorder reads H.264 (its SDP says H264/90000, packetization mode 1) and writes HLS whose video ffprobe decodes frame by frame', async () => {
    const info = await manager.start(MEETING, 'main', 'host-1');
    const folder = path.join(dir, MEETING, info.id);
    const playlist = path.join(folder, 'index.m3u8');
    const mediaS = (): number => (fs.existsSync(playlist) ? playlistSegments(fs.readFileSync(playlist, 'utf8')).reduce((n, s) => n + s.durationS, 0) : 0);
    await waitFor(async () => mediaS(), (s) => s >= 6, 90_000, '6 s of recorded media');

    const sdp = fs.readFileSync(path.join(folder, 'input.sdp'), 'utf8');
    const video = /m=video \d+ RTP\/AVP (\d+)/.exec(sdp);
    expect(video).not.toBeNull();
    const pt = video![1]!;
    expect(sdp).toContain(`a=rtpmap:${pt} H264/90000`);
    expect(sdp).toMatch(new RegExp(`a=fmtp:${pt} [^\\r\\n]*packetization-mode=1`));
    expect(sdp).toMatch(new RegExp(`a=fmtp:${pt} [^\\r\\n]*profile-level-id=42e01f`));

    const stopped = await manager.stop(MEETING, 'main', 'host');
    expect(stopped.sent.videoPackets).toBeGreaterThan(0);
    const out = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_type,codec_name,nb_read_frames,width,height', '-of', 'json', playlist]).toString();
    const probed = (JSON.parse(out) as { streams: { codec_type: string; codec_name: string; nb_read_frames: string; width?: number; height?: number }[] }).streams;
    const v = probed.filter((s) => s.codec_type === 'video');
    expect(v.map((s) => s.codec_name)).toEqual(['h264']);
    expect(v[0]!.width).toBe(320);
    expect(v[0]!.height).toBe(180);
    // ≥ 6 s at the recording's 30 fps, allowing for a slow start.
    expect(Number(v[0]!.nb_read_frames)).toBeGreaterThan(90);
    expect(probed.filter((s) => s.codec_type === 'audio').map((s) => s.codec_name)).toEqual(['aac']);
  }, 150_000);
});
