/**
 * A composed recording with real parts: live sources (ffmpeg encoding a solid colour and a tone
 * of its own into plain-RTP producers), mediasoup recorder taps, Debian's ffmpeg composing and
 * writing HLS; what was recorded is read back from the files with ffmpeg and ffprobe: the level
 * of each tone in the one audio stream, the colour of pixels where the layout puts each picture.
 *
 * Before it, the graphs of every layout are drawn by ffmpeg from a file of coloured streams (no
 * SFU), to see each picture land where composition.ts says.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSfu } from '../../sfu/LocalSfu';
import { playlistSegments } from '../../signaling/recording/Recorder';
import { RecordingManager } from '../../signaling/recording/RecordingManager';
import { CANVAS, compositionOf, mediaMapping } from '../../signaling/recording/composition';
import { planOf } from '../../signaling/recording/recordingPlan';
import type { RecordableStream, RecordingSettings } from '../../signaling/recording/recordingTypes';
import type { StageLayout } from '../../signaling/protocol/production';
import { waitFor } from '../../harness/browser';
import { publishLive, type LiveSource } from '../../harness/liveSource';
import { testConfig } from '../../harness/server';

type Rgb = [number, number, number];
const BLUE: Rgb = [0, 0, 255];
const RED: Rgb = [255, 0, 0];
const GREEN: Rgb = [0, 255, 0];
const YELLOW: Rgb = [255, 255, 0];
const BLACK: Rgb = [0, 0, 0];
const hex = ([r, g, b]: Rgb): string => `0x${[r, g, b].map((n) => n.toString(16).padStart(2, '0')).join('')}`;

let dir: string;

/** The colour at (x, y) of the first frame of a media file (after the graph `filter`, if any). */
function pixel(input: string[], x: number, y: number, filter?: { graph: string; map: string }): Rgb {
  const args = ['-hide_banner', '-loglevel', 'error', ...input];
  if (filter) args.push('-filter_complex', `${filter.graph};${filter.map}crop=2:2:${x}:${y}[px]`, '-map', '[px]');
  else args.push('-vf', `crop=2:2:${x}:${y}`);
  args.push('-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-');
  const out = execFileSync('ffmpeg', args);
  return [out[0]!, out[1]!, out[2]!];
}

/** Close enough after YUV 4:2:0 and H.264 (a colour is far from every other used here). */
const near = (got: Rgb, want: Rgb): boolean => got.every((v, i) => Math.abs(v - want[i]!) < 60);

/** RMS level (dBFS) of the band around `hz` over `seconds` from `fromS` of a file's audio. */
function level(file: string, hz: number, fromS: number, seconds: number): number {
  const res = spawnSync('ffmpeg', [
    '-hide_banner', '-ss', String(fromS), '-t', String(seconds), '-i', file, '-vn',
    '-af', `bandpass=f=${hz}:width_type=h:w=60,astats=metadata=1:reset=0,ametadata=print:key=lavfi.astats.Overall.RMS_level`,
    '-f', 'null', '-',
  ], { encoding: 'utf8' });
  // ametadata prints to ffmpeg's log; the last value covers the whole span (reset=0).
  const all = [...res.stderr.matchAll(/RMS_level=(-?[0-9.]+|-inf)/g)].map((m) => (m[1] === '-inf' ? -200 : Number(m[1])));
  return all.at(-1) ?? -200;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-compose-'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the graph of each layout, drawn by ffmpeg', () => {
  // Five pictures of five colours (the fifth, 4:3, is the interpreter's) and no sound, as one file
  // whose streams stand where a run's SDP puts them (`0:v:i`).
  const colours: Rgb[] = [BLUE, RED, YELLOW, [255, 0, 255], GREEN];
  let file: string;
  beforeAll(() => {
    file = path.join(dir, 'pictures.nut');
    const args = ['-hide_banner', '-loglevel', 'error', '-y'];
    colours.forEach((c, i) => args.push('-f', 'lavfi', '-i', `color=c=${hex(c)}:s=${i === 4 ? '320x240' : '640x360'}:r=5:d=1`));
    colours.forEach((_, i) => args.push('-map', `${i}:v:0`));
    execFileSync('ffmpeg', [...args, '-c:v', 'ffv1', file]);
  });

  const draw = (layout: StageLayout, pictures: number, interpreter: boolean): ((x: number, y: number) => Rgb) => {
    const streams: RecordableStream[] = Array.from({ length: pictures }, (_, i) => ({ producerId: `p${i}`, kind: 'video', source: 'camera', order: i }));
    if (interpreter) streams.push({ producerId: 'sign', kind: 'video', source: 'camera', role: 'interpreter' });
    const m = mediaMapping(compositionOf(planOf(streams, layout)));
    // The interpreter is the file's fifth stream: renumber the graph's input to it.
    const graph = m.filter!.replace(`[0:v:${pictures}]`, '[0:v:4]');
    return (x, y) => pixel(['-i', file], x, y, { graph, map: m.video! });
  };

  it('sideBySide with the interpreter: two halves, the inset bottom-right over the second', () => {
    const at = draw('sideBySide', 2, true);
    expect(near(at(320, 360), BLUE)).toBe(true);
    expect(near(at(960, 200), RED)).toBe(true);
    // Each 16:9 picture fits a half's width: black above and below it.
    expect(near(at(320, 100), BLACK)).toBe(true);
    expect(near(at(1100, 600), GREEN)).toBe(true);
    expect(near(at(1270, 710), RED)).toBe(false);
  });

  it('pip: the second picture small in the top-right corner over the first', () => {
    const at = draw('pip', 2, false);
    expect(near(at(640, 360), BLUE)).toBe(true);
    expect(near(at(1100, 100), RED)).toBe(true);
    expect(near(at(100, 600), BLUE)).toBe(true);
  });

  it('grid: four quarters; three with the third centred below; the interpreter over the grid', () => {
    const four = draw('grid', 4, true);
    expect([four(320, 180), four(960, 180), four(320, 540), four(900, 500)].map((c, i) => near(c, colours[i]!))).toEqual([true, true, true, true]);
    expect(near(four(1100, 600), GREEN)).toBe(true);
    const three = draw('grid', 3, false);
    expect(near(three(640, 540), YELLOW)).toBe(true);
    expect(near(three(100, 540), BLACK)).toBe(true);
  });

  it('single with the interpreter: the picture on the whole canvas, the inset bottom-right', () => {
    const at = draw('single', 1, true);
    expect(near(at(200, 200), BLUE)).toBe(true);
    expect(near(at(1100, 600), GREEN)).toBe(true);
    // The canvas's far corner is the picture's, outside the inset's margin.
    expect(near(at(CANVAS.width - 4, CANVAS.height - 4), BLUE)).toBe(true);
  });
});

describe('recording two presenters on a live stage, with the interpreter', () => {
  const MEETING = 'compose-meeting';
  let sfu: LocalSfu;
  let manager: RecordingManager;
  const sources: LiveSource[] = [];
  let streams: RecordableStream[] = [];
  let layout: StageLayout = 'sideBySide';

  beforeAll(async () => {
    sfu = await LocalSfu.create(testConfig({ HOINGHI_WORKERS: '1' }).sfu);
    await sfu.openRoom(MEETING);
    const a = await publishLive(sfu, MEETING, { colour: hex(BLUE), toneHz: 440 });
    const b = await publishLive(sfu, MEETING, { colour: hex(RED), toneHz: 1500 });
    const sign = await publishLive(sfu, MEETING, { colour: hex(GREEN), size: '320x240' });
    sources.push(a, b, sign);
    streams = [
      { producerId: a.videoProducerId, kind: 'video', source: 'camera', role: 'stage', order: 0 },
      { producerId: a.audioProducerId!, kind: 'audio', source: 'mic', role: 'stage', order: 0 },
      { producerId: b.videoProducerId, kind: 'video', source: 'camera', role: 'stage', order: 1 },
      { producerId: b.audioProducerId!, kind: 'audio', source: 'mic', role: 'stage', order: 1 },
      { producerId: sign.videoProducerId, kind: 'video', source: 'camera', role: 'interpreter' },
    ];
    const settings: RecordingSettings = {
      dir,
      rtpIp: '127.0.0.1',
      minFreeBytes: 64 * 2 ** 20,
      retentionDays: 0,
      diskCheckIntervalMs: 60_000,
      recorder: { ffmpegPath: 'ffmpeg', segmentSeconds: 2, restartBackoffMs: { min: 200, max: 2_000 } },
    };
    manager = new RecordingManager(settings, sfu, {
      streams: (meetingId, key) => (meetingId === MEETING && key === 'main' ? streams : null),
      layout: () => layout,
    });
  }, 120_000);

  afterAll(async () => {
    await manager?.close();
    for (const s of sources) s.stop();
    await sfu?.close();
  });

  it('hears both microphones in the one audio track, draws both presenters side by side and the interpreter inset; a new plan is a new run', async () => {
    const info = await manager.start(MEETING, 'main', 'producer-1');
    const recorder = manager.recorderOf(MEETING, 'main')!;
    const folder = path.join(dir, MEETING, info.id);
    const playlist = path.join(folder, 'index.m3u8');
    const read = (): string => (fs.existsSync(playlist) ? fs.readFileSync(playlist, 'utf8') : '');
    // (A starved machine may replace a stalled run by itself: runs up to `composedUntil` are the
    // composed plan's, those after it the next plan's.)
    await waitFor(async () => recorder.segments, (n) => n >= 3, 60_000, 'three segments of the composed plan');
    const composedUntil = recorder.run;

    // The interpreter leaves the air and the layout goes back to one picture: a new run.
    streams = streams.filter((s) => s.role !== 'interpreter');
    layout = 'single';
    await waitFor(async () => recorder.run, (run) => run > composedUntil, 15_000, 'a new run for the new plan');
    await waitFor(async () => recorder.runSegments, (n) => n >= 1, 30_000, 'a segment of the new run');
    await manager.stop(MEETING, 'main', 'host');

    const segments = playlistSegments(read());
    const runOf = (file: string): number => Number(/^r(\d+)-/.exec(file)![1]);
    const first = segments.filter((s) => runOf(s.file) <= composedUntil);
    const second = segments.filter((s) => runOf(s.file) > composedUntil);
    expect(first.length, read()).toBeGreaterThanOrEqual(3);
    expect(second.length).toBeGreaterThanOrEqual(1);

    // The composed plan: one H.264 picture on the canvas and one AAC track carrying both tones.
    const seg = path.join(folder, first[1]!.file);
    const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,width,height', '-of', 'json', seg]).toString()) as {
      streams: { codec_type: string; codec_name: string; width?: number; height?: number }[];
    };
    expect(probe.streams.filter((s) => s.codec_type === 'audio').map((s) => s.codec_name)).toEqual(['aac']);
    expect(probe.streams.filter((s) => s.codec_type === 'video').map((s) => [s.codec_name, s.width, s.height])).toEqual([['h264', 1280, 720]]);
    // The levels over the whole run: a tone's first second may be realigned (its time set anew
    // when the first RTCP sender report of its stream comes), not lost for the run.
    const run0 = `concat:${first.map((f) => path.join(folder, f.file)).join('|')}`;
    const [low, high, none] = [level(run0, 440, 0, 30), level(run0, 1500, 0, 30), level(run0, 3500, 0, 30)];
    expect(low).toBeGreaterThan(-32);
    expect(high).toBeGreaterThan(-32);
    expect(none).toBeLessThan(Math.min(low, high) - 20);
    expect(near(pixel(['-i', seg], 320, 360), BLUE)).toBe(true);
    expect(near(pixel(['-i', seg], 960, 200), RED)).toBe(true);
    expect(near(pixel(['-i', seg], 1100, 600), GREEN)).toBe(true);

    // The next plan: presenter A's picture as it comes (no canvas, no inset), both tones still heard.
    const later = path.join(folder, second.at(-1)!.file);
    expect(near(pixel(['-i', later], 300, 160), BLUE)).toBe(true);
    expect(level(later, 440, 0, 5)).toBeGreaterThan(-40);
    expect(level(later, 1500, 0, 5)).toBeGreaterThan(-40);
    expect(read()).toContain('#EXT-X-DISCONTINUITY');
  }, 150_000);
});
