/**
 * How one ffmpeg run turns a plan (recordingPlan.ts) into the picture and the sound it encodes:
 * the filter graph and what is mapped to the output. The run's SDP lists the plan's streams as
 * pictures, then the interpreter, then the microphones, so `0:v:i` and `0:a:j` follow that order.
 *
 * - One picture and no interpreter: mapped as it comes (no filter, no scaling: as cheap as a
 *   recording of one host always was). One microphone: likewise.
 * - Otherwise the pictures are drawn on a 1280×720 canvas (each scaled to fit its place, padded
 *   black): `single` the whole canvas, `sideBySide` two halves, `pip` the second picture a quarter
 *   wide in the top-right corner over the first, `grid` a 2×2 grid (three pictures: the third
 *   centred below). The interpreter's picture, when on air, is an inset in the bottom-right
 *   corner, at most a quarter of the width (and a third of the height), over all of it.
 * - Two or more microphones are mixed with `amix` (normalize=0: each voice keeps its level, as
 *   in the room). Each goes through `aresample=async=1:first_pts=0` first: amix mixes samples in
 *   order, not by time, so a microphone whose RTP starts late (its time set from the SFU's RTCP
 *   sender reports) is padded with silence from the run's start and stays in step with the others.
 */
import type { StageLayout } from '../protocol/production';
import type { RecordingPlan } from './recordingPlan';

export const CANVAS = { width: 1280, height: 720 } as const;
/** Gap between an inset and the canvas edge, pixels. */
const MARGIN = 16;

/** What a run composes: counts in SDP order, and the layout. */
export interface Composition {
  layout: StageLayout;
  videos: number;
  interpreter: boolean;
  audios: number;
}

export function compositionOf(plan: RecordingPlan): Composition {
  return { layout: plan.layout, videos: plan.videos.length, interpreter: plan.interpreter !== null, audios: plan.audios.length };
}

export interface MediaMapping {
  /** The `-filter_complex` graph, or null when nothing is filtered. */
  filter: string | null;
  /** What `-map` takes for the picture (`0:v:0` or a graph output), or null without one. */
  video: string | null;
  /** Likewise for the sound. */
  audio: string | null;
}

/** Scales a picture to fit `w`×`h` (aspect kept) and pads it black to exactly that size. */
const fit = (w: number, h: number): string =>
  `scale=${w}:${h}:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1`;

/** The filter chains that draw the stage's pictures into `[out]`. */
function layoutChains(layout: StageLayout, videos: number, out: string): string[] {
  const { width: W, height: H } = CANVAS;
  switch (layout) {
    case 'single':
      return [`[0:v:0]${fit(W, H)}[${out}]`];
    case 'sideBySide':
      return [`[0:v:0]${fit(W / 2, H)}[c0]`, `[0:v:1]${fit(W / 2, H)}[c1]`, `[c0][c1]hstack=inputs=2[${out}]`];
    case 'pip':
      return [
        `[0:v:0]${fit(W, H)}[big]`,
        `[0:v:1]${fit(W / 4, H / 4)}[small]`,
        `[big][small]overlay=x=W-w-${MARGIN}:y=${MARGIN}:eof_action=pass[${out}]`,
      ];
    case 'grid': {
      const cells = Array.from({ length: videos }, (_, i) => `[0:v:${i}]${fit(W / 2, H / 2)}[c${i}]`);
      const at = ['0_0', `${W / 2}_0`, videos === 3 ? `${W / 4}_${H / 2}` : `0_${H / 2}`, `${W / 2}_${H / 2}`].slice(0, videos);
      const inputs = cells.map((_, i) => `[c${i}]`).join('');
      return [...cells, `${inputs}xstack=inputs=${videos}:layout=${at.join('|')}:fill=black[${out}]`];
    }
  }
}

/** The filter graph and mapping for a composition. */
export function mediaMapping(c: Composition): MediaMapping {
  const chains: string[] = [];
  let video: string | null = null;
  if (c.videos > 0) {
    if (c.layout === 'single' && c.videos === 1 && !c.interpreter) {
      video = '0:v:0';
    } else if (!c.interpreter) {
      chains.push(...layoutChains(c.layout, c.videos, 'v'));
      video = '[v]';
    } else {
      const { width: W, height: H } = CANVAS;
      chains.push(...layoutChains(c.layout, c.videos, 'stage'));
      // The interpreter keeps the shape of their picture (no padding): a quarter wide at most.
      chains.push(`[0:v:${c.videos}]scale=${W / 4}:${H / 3}:force_original_aspect_ratio=decrease:force_divisible_by=2,setsar=1[sign]`);
      chains.push(`[stage][sign]overlay=x=W-w-${MARGIN}:y=H-h-${MARGIN}:eof_action=pass[v]`);
      video = '[v]';
    }
  }
  let audio: string | null = null;
  if (c.audios === 1) {
    audio = '0:a:0';
  } else if (c.audios > 1) {
    const labels = Array.from({ length: c.audios }, (_, i) => `[m${i}]`);
    chains.push(...labels.map((l, i) => `[0:a:${i}]aresample=async=1:first_pts=0${l}`));
    chains.push(`${labels.join('')}amix=inputs=${c.audios}:normalize=0:dropout_transition=0[a]`);
    audio = '[a]';
  }
  return { filter: chains.length > 0 ? chains.join(';') : null, video, audio };
}
