/**
 * What a recording run composes (signaling/recording/recordingPlan.ts) and the ffmpeg filter
 * graph it gets (composition.ts): per layout, with and without the interpreter, 1–4 microphones
 * and more, and the one key that tells the manager when to start a new run. (The graphs drawn by
 * a real ffmpeg: test/integration/recordingComposition.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { MAX_MIXED_MICS, planKey, planOf, planStreams, recordable } from '../../signaling/recording/recordingPlan';
import { compositionOf, mediaMapping } from '../../signaling/recording/composition';
import { ffmpegArgs } from '../../signaling/recording/Recorder';
import type { RecordableStream } from '../../signaling/recording/recordingTypes';

const cam = (id: string, order?: number): RecordableStream => ({ producerId: `${id}-cam`, kind: 'video', source: 'camera', role: 'stage', order });
const mic = (id: string, order?: number): RecordableStream => ({ producerId: `${id}-mic`, kind: 'audio', source: 'mic', role: 'stage', order });
const screen = (id: string, order?: number): RecordableStream => ({ producerId: `${id}-screen`, kind: 'video', source: 'screen', role: 'stage', order });
const interpreter: RecordableStream = { producerId: 'sign-cam', kind: 'video', source: 'camera', role: 'interpreter' };
const ids = (list: RecordableStream[]): string[] => list.map((s) => s.producerId);
const settings = { ffmpegPath: 'ffmpeg', segmentSeconds: 2, restartBackoffMs: { min: 100, max: 1000 } };

describe('the plan of a run', () => {
  it('single: the screen share when on, else the first camera; every microphone', () => {
    const plan = planOf([cam('a', 0), mic('a', 0), cam('b', 1), mic('b', 1), screen('b', 2)], 'single');
    expect(plan.layout).toBe('single');
    expect(ids(plan.videos)).toEqual(['b-screen']);
    expect(ids(plan.audios)).toEqual(['a-mic', 'b-mic']);
    expect(plan.interpreter).toBeNull();
    expect(ids(planOf([cam('a', 0), mic('a', 0), cam('b', 1)], 'single').videos)).toEqual(['a-cam']);
  });

  it('a session that is not produced (no stage order): the host\'s screen first, as recordings always did', () => {
    const plan = planOf([{ ...cam('h'), role: undefined }, { ...mic('h'), role: undefined }, { ...screen('h'), role: undefined }]);
    expect(plan.layout).toBe('single');
    expect(ids(plan.videos)).toEqual(['h-screen']);
    expect(ids(plan.audios)).toEqual(['h-mic']);
  });

  it('sideBySide and pip take the first two pictures in stage order; grid up to four', () => {
    const streams = [cam('c', 2), cam('a', 0), screen('d', 3), cam('b', 1), cam('e', 4)];
    expect(ids(planOf(streams, 'sideBySide').videos)).toEqual(['a-cam', 'b-cam']);
    expect(ids(planOf(streams, 'pip').videos)).toEqual(['a-cam', 'b-cam']);
    expect(ids(planOf(streams, 'grid').videos)).toEqual(['a-cam', 'b-cam', 'c-cam', 'd-screen']);
    expect(planOf(streams.slice(0, 3), 'grid').layout).toBe('grid');
  });

  it('falls back when the layout has too few pictures: one picture is single, a grid of two is side by side', () => {
    expect(planOf([cam('a', 0), mic('a', 0)], 'sideBySide').layout).toBe('single');
    expect(planOf([cam('a', 0)], 'pip').layout).toBe('single');
    expect(planOf([cam('a', 0), cam('b', 1)], 'grid').layout).toBe('sideBySide');
    expect(planOf([mic('a', 0)], 'grid')).toMatchObject({ layout: 'single', videos: [] });
  });

  it('mixes every microphone up to the bound, in stage order', () => {
    const mics = ['a', 'b', 'c', 'd', 'e', 'f'].map((n, i) => mic(n, 5 - i));
    const plan = planOf(mics, 'single');
    expect(plan.audios).toHaveLength(MAX_MIXED_MICS);
    expect(ids(plan.audios)).toEqual(['f-mic', 'e-mic', 'd-mic', 'c-mic']);
  });

  it('takes the interpreter as an inset, after the pictures in the SDP order; alone, as the picture', () => {
    const plan = planOf([interpreter, cam('a', 0), mic('a', 0), cam('b', 1)], 'sideBySide');
    expect(plan.interpreter?.producerId).toBe('sign-cam');
    expect(ids(planStreams(plan))).toEqual(['a-cam', 'b-cam', 'sign-cam', 'a-mic']);
    const alone = planOf([interpreter, mic('a', 0)], 'pip');
    expect(alone).toMatchObject({ layout: 'single', interpreter: null });
    expect(ids(alone.videos)).toEqual(['sign-cam']);
    expect(recordable([interpreter])).toBe(true);
    expect(recordable([])).toBe(false);
    expect(recordable(null)).toBe(false);
  });
});

describe('the key of a plan: a new run when, and only when, what is drawn or heard changes', () => {
  const base = [cam('a', 0), mic('a', 0), cam('b', 1), mic('b', 1)];
  const key = (streams: RecordableStream[], layout: Parameters<typeof planOf>[1] = 'single'): string => planKey(planOf(streams, layout));

  it('changes with a source on or off air, the layout, the interpreter arriving, the stage order', () => {
    const keys = [
      key(base),
      key(base.slice(0, 3)),
      key(base, 'sideBySide'),
      key(base, 'pip'),
      key([...base, interpreter]),
      key([...base, interpreter], 'sideBySide'),
      key([cam('b', 0), mic('b', 0), cam('a', 1), mic('a', 1)], 'sideBySide'),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('stays when nothing drawn changes: a camera not drawn in single, a layout that falls back the same way', () => {
    expect(key(base)).toBe(key([...base.slice(0, 2), { ...cam('b', 1), producerId: 'b-cam-2' }, mic('b', 1)]));
    expect(key([cam('a', 0), mic('a', 0)], 'sideBySide')).toBe(key([cam('a', 0), mic('a', 0)], 'single'));
    expect(key([cam('a', 0), cam('b', 1)], 'grid')).toBe(key([cam('a', 0), cam('b', 1)], 'sideBySide'));
    expect(key([])).toBe('');
  });
});

describe('the filter graph of a run', () => {
  const mapping = (streams: RecordableStream[], layout: Parameters<typeof planOf>[1]) => mediaMapping(compositionOf(planOf(streams, layout)));

  it('single with one microphone and no interpreter: no filter at all (as cheap as before)', () => {
    const m = mapping([cam('a', 0), mic('a', 0)], 'single');
    expect(m).toEqual({ filter: null, video: '0:v:0', audio: '0:a:0' });
    const args = ffmpegArgs(settings, 0, { composition: compositionOf(planOf([cam('a', 0), mic('a', 0)], 'single')) });
    expect(args).not.toContain('-filter_complex');
    expect(args.join(' ')).toContain('-map 0:v:0 -c:v libx264');
    expect(args.join(' ')).toContain('-map 0:a:0 -c:a aac');
  });

  it('mixes 2–4 microphones with amix (no normalising), each aligned in time first', () => {
    for (const n of [2, 3, 4]) {
      const m = mapping(['a', 'b', 'c', 'd'].slice(0, n).map((p, i) => mic(p, i)), 'single');
      expect(m.video).toBeNull();
      expect(m.audio).toBe('[a]');
      expect(m.filter!.match(/aresample=async=1:first_pts=0/g)).toHaveLength(n);
      expect(m.filter).toContain(`amix=inputs=${n}:normalize=0:dropout_transition=0[a]`);
      for (let i = 0; i < n; i++) expect(m.filter).toContain(`[0:a:${i}]`);
    }
    // One camera, two microphones: the picture mapped as it comes, only the sound filtered.
    expect(mapping([cam('a', 0), mic('a', 0), mic('b', 1)], 'single')).toMatchObject({ video: '0:v:0', audio: '[a]' });
  });

  it('draws each layout on the 1280x720 canvas from the right inputs', () => {
    const two = [cam('a', 0), cam('b', 1), mic('a', 0)];
    const side = mapping(two, 'sideBySide');
    expect(side.video).toBe('[v]');
    expect(side.filter).toContain('[0:v:0]scale=640:720');
    expect(side.filter).toContain('[c0][c1]hstack=inputs=2[v]');
    const pip = mapping(two, 'pip');
    expect(pip.filter).toContain('[0:v:1]scale=320:180');
    expect(pip.filter).toContain('[big][small]overlay=x=W-w-16:y=16');
    const grid3 = mapping([...two, cam('c', 2)], 'grid');
    expect(grid3.filter).toContain('xstack=inputs=3:layout=0_0|640_0|320_360:fill=black[v]');
    const grid4 = mapping([...two, cam('c', 2), cam('d', 3)], 'grid');
    expect(grid4.filter).toContain('xstack=inputs=4:layout=0_0|640_0|0_360|640_360:fill=black[v]');
    expect(grid4.filter).not.toContain('[0:v:4]');
  });

  it('puts the interpreter (the input after the pictures) in the bottom-right corner over every layout', () => {
    for (const [layout, pictures] of [['single', 1], ['sideBySide', 2], ['pip', 2], ['grid', 4]] as const) {
      const streams = [...['a', 'b', 'c', 'd'].slice(0, pictures).map((p, i) => cam(p, i)), interpreter, mic('a', 0)];
      const m = mapping(streams, layout);
      expect(m.video).toBe('[v]');
      expect(m.filter).toContain(`[0:v:${pictures}]scale=320:240:force_original_aspect_ratio=decrease`);
      expect(m.filter).toContain('[stage][sign]overlay=x=W-w-16:y=H-h-16');
    }
  });
});
