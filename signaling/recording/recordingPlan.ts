/**
 * What one ffmpeg run of a recording (or live HLS stream) composes, decided from the streams a
 * session has on air and the stage's layout: the pictures in order, every microphone (mixed),
 * and the sign-language interpreter's picture (an inset over whatever the layout draws).
 *
 * Only what is drawn is taken (each picture taken costs ffmpeg a decode): `single` takes one
 * picture (the screen share when on, else the first camera, as recordings always did),
 * `sideBySide` and `pip` two, `grid` up to four. A layout that has fewer pictures than it needs
 * falls back (a side-by-side of one picture is a single picture), so two plans that draw the same
 * have the same key.
 *
 * The key (`planKey`) names a plan: the manager starts a new run when the key changes (a source
 * on or off air, the layout, the interpreter arriving), and only then.
 */
import type { StageLayout } from '../protocol/production';
import type { RecordableStream } from './recordingTypes';

/** Microphones mixed at most (the first ones in stage order; more are left out of the mix). */
export const MAX_MIXED_MICS = 4;
/** Pictures a grid draws at most. */
export const MAX_GRID_PICTURES = 4;

export interface RecordingPlan {
  /** What the pictures are arranged as (after the fall-back for too few pictures). */
  layout: StageLayout;
  /** The pictures drawn, in the layout's order (the first is the large one in `pip`). */
  videos: RecordableStream[];
  /** Every microphone heard, mixed (at most MAX_MIXED_MICS). */
  audios: RecordableStream[];
  /** The interpreter's picture, drawn as an inset in the bottom-right corner; null when off air. */
  interpreter: RecordableStream | null;
}

const PICTURES: Record<StageLayout, number> = { single: 1, sideBySide: 2, pip: 2, grid: MAX_GRID_PICTURES };

/** Stage order first (sources not on a stage last), then the screen share before a camera. */
function byStage(a: RecordableStream, b: RecordableStream): number {
  const ra = a.order ?? Number.POSITIVE_INFINITY;
  const rb = b.order ?? Number.POSITIVE_INFINITY;
  if (ra !== rb) return ra < rb ? -1 : 1;
  return (a.source === 'screen' ? 0 : 1) - (b.source === 'screen' ? 0 : 1);
}

/** The plan for `streams` (as RecordingSources gives them) arranged by `layout`. */
export function planOf(streams: readonly RecordableStream[], layout: StageLayout = 'single'): RecordingPlan {
  const stage = streams.filter((s) => (s.role ?? 'stage') === 'stage');
  const pictures = stage.filter((s) => s.kind === 'video').sort(byStage);
  const audios = stage.filter((s) => s.kind === 'audio').sort(byStage).slice(0, MAX_MIXED_MICS);
  let interpreter = streams.find((s) => s.role === 'interpreter' && s.kind === 'video') ?? null;
  let videos: RecordableStream[];
  if (layout === 'single' || pictures.length <= 1) {
    // The screen share when on (wherever it is on the stage), else the first picture.
    const one = pictures.find((s) => s.source === 'screen') ?? pictures[0];
    videos = one ? [one] : [];
  } else {
    videos = pictures.slice(0, PICTURES[layout]);
  }
  // Nothing else to see: the interpreter's picture is the picture, full size.
  if (videos.length === 0 && interpreter) [videos, interpreter] = [[interpreter], null];
  let drawn: StageLayout = layout;
  if (videos.length <= 1) drawn = 'single';
  else if (layout === 'grid' && videos.length === 2) drawn = 'sideBySide';
  return { layout: drawn, videos, audios, interpreter };
}

/** The streams a run takes, in the order of the SDP's media sections: pictures, interpreter, microphones. */
export function planStreams(plan: RecordingPlan): RecordableStream[] {
  return [...plan.videos, ...(plan.interpreter ? [plan.interpreter] : []), ...plan.audios];
}

/** Whether the plan has anything to record. */
export function planEmpty(plan: RecordingPlan): boolean {
  return plan.videos.length === 0 && plan.audios.length === 0;
}

/** The one name of a plan: a run reads exactly what its key says. Empty for an empty plan. */
export function planKey(plan: RecordingPlan): string {
  if (planEmpty(plan)) return '';
  const ids = (list: RecordableStream[]): string => list.map((s) => s.producerId).join(',');
  return `${plan.layout}|v=${ids(plan.videos)}|i=${plan.interpreter?.producerId ?? ''}|a=${ids(plan.audios)}`;
}

/** Whether a session has anything on air to record or stream (null: the meeting is not open here). */
export function recordable(streams: readonly RecordableStream[] | null): boolean {
  return streams !== null && !planEmpty(planOf(streams));
}
