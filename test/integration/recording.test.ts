/**
 * The recording pipeline with real parts: mediasoup workers, a published host stream (ffmpeg
 * looping a VP8 + Opus clip into plain-RTP producers, as the fan-out benchmark does), SFU
 * recorder taps, Debian's ffmpeg writing HLS, and ffprobe reading the result.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSfu } from '../../sfu/LocalSfu';
import { AppError } from '../../signaling/protocol/errors';
import { playlistSegments } from '../../signaling/recording/Recorder';
import { RecordingManager } from '../../signaling/recording/RecordingManager';
import { type RecordableStream, type RecordingSettings } from '../../signaling/recording/recordingTypes';
import { waitFor } from '../../harness/browser';
import { publishClip, type RtpSource } from '../../harness/rtpSource';
import { testConfig } from '../../harness/server';

const MEETING = 'rec-meeting';
let sfu: LocalSfu;
let source: RtpSource;
let dir: string;
let streams: RecordableStream[];
const managers: RecordingManager[] = [];

function manager(freeBytes?: () => Promise<number>): RecordingManager {
  const settings: RecordingSettings = {
    dir,
    rtpIp: '127.0.0.1',
    minFreeBytes: 64 * 2 ** 20,
    retentionDays: 30,
    diskCheckIntervalMs: 60_000,
    recorder: { ffmpegPath: 'ffmpeg', segmentSeconds: 2, restartBackoffMs: { min: 200, max: 2_000 } },
  };
  const m = new RecordingManager(settings, sfu, { streams: (meetingId, key) => (meetingId === MEETING && key === 'main' ? streams : null) }, freeBytes);
  managers.push(m);
  return m;
}

function probe(playlist: string): { duration: number; streams: { codec_type: string; codec_name: string }[] } {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type,codec_name', '-of', 'json', playlist]).toString();
  const json = JSON.parse(out) as { format: { duration: string }; streams: { codec_type: string; codec_name: string }[] };
  return { duration: Number(json.format.duration), streams: json.streams };
}

const readPlaylist = (file: string): string => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-rec-'));
  sfu = await LocalSfu.create(testConfig().sfu);
  await sfu.openRoom(MEETING);
  source = await publishClip(sfu, MEETING);
  streams = [
    { producerId: source.videoProducerId, kind: 'video', source: 'camera' },
    { producerId: source.audioProducerId, kind: 'audio', source: 'mic' },
  ];
}, 180_000);

afterAll(async () => {
  for (const m of managers) await m.close();
  source?.stop();
  await sfu?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('recording a published host', () => {
  it('writes ~10 s of HLS that ffprobe reads as one H.264 video and one AAC audio stream, as long as the media sent ±20%', async () => {
    const m = manager();
    const info = await m.start(MEETING, 'main', 'host-1');
    const playlist = path.join(dir, MEETING, info.id, 'index.m3u8');
    // ~10 s of media, as the playlist counts it (a loaded machine may take longer in wall time).
    const mediaS = (): number => playlistSegments(readPlaylist(playlist)).reduce((n, seg) => n + seg.durationS, 0);
    await waitFor(async () => mediaS(), (s) => s >= 10, 90_000, '10 s of recorded media');
    const stopped = await m.stop(MEETING, 'main', 'host');

    // The measure: the media the SFU sent the recorder. The clip's Opus travels one 20 ms frame
    // per RTP packet, so the audio tap's packet count is the media time given to ffmpeg, however
    // slowly the source or the recorder ran on a busy machine.
    expect(stopped.sent.videoPackets).toBeGreaterThan(0);
    const sentS = stopped.sent.audioPackets * 0.02;
    expect(sentS).toBeGreaterThan(8);
    const text = readPlaylist(playlist);
    expect(text).toContain('#EXT-X-ENDLIST');
    for (const seg of playlistSegments(text)) expect(seg.durationS).toBeLessThanOrEqual(2.5);
    const p = probe(playlist);
    expect(p.streams.filter((x) => x.codec_type === 'video').map((x) => x.codec_name)).toEqual(['h264']);
    expect(p.streams.filter((x) => x.codec_type === 'audio').map((x) => x.codec_name)).toEqual(['aac']);
    expect(p.duration).toBeGreaterThan(sentS * 0.8);
    expect(p.duration).toBeLessThan(sentS * 1.2);
    expect(stopped.durationS).toBeGreaterThan(sentS * 0.8);
    const listed = await m.list(MEETING);
    expect(listed.find((r) => r.id === info.id)).toMatchObject({ endedAt: expect.any(Number), stopReason: 'host', gaps: [] });
  }, 150_000);

  it('restarts a killed ffmpeg and the recording continues, the gap logged in recording.json', async () => {
    const m = manager();
    const info = await m.start(MEETING, 'main', 'host-1');
    const recorder = m.recorderOf(MEETING, 'main')!;
    const playlist = path.join(dir, MEETING, info.id, 'index.m3u8');
    await waitFor(async () => recorder.runSegments, (n) => n >= 2, 30_000, 'two segments of the first run');
    const resumed = new Promise<{ from: number; to: number }>((resolve) => recorder.once('resumed', resolve));
    process.kill(recorder.pid!, 'SIGKILL');
    const gap = await resumed;
    expect(gap.to).toBeGreaterThan(gap.from);
    expect(recorder.run).toBe(1);
    await waitFor(async () => recorder.runSegments, (n) => n >= 2, 30_000, 'two segments of the restarted run');
    await m.stop(MEETING, 'main', 'host');

    const text = readPlaylist(playlist);
    const files = playlistSegments(text).map((s) => s.file);
    expect(files.some((f) => f.startsWith('r0-'))).toBe(true);
    expect(files.some((f) => f.startsWith('r1-'))).toBe(true);
    expect(text).toContain('#EXT-X-DISCONTINUITY');
    expect(m.stats().ffmpegRestarts).toBe(1);
    const saved = JSON.parse(fs.readFileSync(path.join(dir, MEETING, info.id, 'recording.json'), 'utf8')) as { gaps: unknown[] };
    expect(saved.gaps).toHaveLength(1);
    const p = probe(playlist);
    expect(p.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
  }, 90_000);

  it('keeps every listed segment when a silent ffmpeg gets a signal from outside as well as the stop (Ctrl-C on scripts/start.sh reaches its whole process group)', async () => {
    const m = manager();
    const info = await m.start(MEETING, 'main', 'host-1');
    const recorder = m.recorderOf(MEETING, 'main')!;
    const playlist = path.join(dir, MEETING, info.id, 'index.m3u8');
    await waitFor(async () => recorder.runSegments, (n) => n >= 3, 60_000, 'three segments');
    // The host goes off air (their page closed): nothing reaches ffmpeg any more. Once it has
    // written what it had (no new segment for two segment lengths), it waits on silent sockets.
    await sfu.pauseProducer(source.videoProducerId);
    await sfu.pauseProducer(source.audioProducerId);
    try {
      let seen = recorder.segments;
      let quietSince = Date.now();
      await waitFor(
        async () => {
          if (recorder.segments !== seen) [seen, quietSince] = [recorder.segments, Date.now()];
          return Date.now() - quietSince;
        },
        (quietMs) => quietMs > 4_000,
        60_000,
        'ffmpeg done with what it had',
      );
      const listed = playlistSegments(readPlaylist(playlist)).map((s) => s.file);
      expect(listed.length).toBeGreaterThanOrEqual(3);
      // The terminal's Ctrl-C, then the server's own stop: ffmpeg gets its second signal while
      // blocked on the silent input, and exits at once ("Immediate exit requested").
      process.kill(recorder.pid!, 'SIGINT');
      await m.stop(MEETING, 'main', 'host');
      const text = readPlaylist(playlist);
      expect(text.startsWith('#EXTM3U')).toBe(true);
      expect(playlistSegments(text).map((s) => s.file)).toEqual(expect.arrayContaining(listed));
      expect(text.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
      expect(probe(playlist).duration).toBeGreaterThan(4);
    } finally {
      await sfu.resumeProducer(source.videoProducerId);
      await sfu.resumeProducer(source.audioProducerId);
    }
  }, 120_000);
});

describe('disk space and retention', () => {
  it('refuses to start under the free-space threshold, and stops cleanly (ENDLIST) when space runs out', async () => {
    let free = 1 * 2 ** 20;
    const m = manager(async () => free);
    const refused = await m.start(MEETING, 'main', 'host-1').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('unavailable');
    expect(m.stats().active).toBe(0);

    free = 10 * 2 ** 30;
    const info = await m.start(MEETING, 'main', 'host-1');
    const recorder = m.recorderOf(MEETING, 'main')!;
    await waitFor(async () => recorder.runSegments, (n) => n >= 1, 30_000, 'a segment');
    free = 1 * 2 ** 20;
    await m.checkDisk();
    expect(m.stats().active).toBe(0);
    expect(readPlaylist(path.join(dir, MEETING, info.id, 'index.m3u8'))).toContain('#EXT-X-ENDLIST');
    expect((await m.list(MEETING)).find((r) => r.id === info.id)?.stopReason).toBe('disk_full');
  }, 60_000);

  it('deletes recordings that ended longer ago than the retention setting, and keeps the others', async () => {
    const m = manager();
    const before = await m.list(MEETING);
    expect(before.length).toBeGreaterThan(0);
    expect(await m.applyRetention(Date.now() + 29 * 86_400_000)).toBe(0);
    expect(await m.applyRetention(Date.now() + 31 * 86_400_000)).toBe(before.length);
    expect(await m.list(MEETING)).toEqual([]);
  });
});
