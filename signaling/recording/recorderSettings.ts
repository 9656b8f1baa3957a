/** What a recorder (Recorder.ts) is configured with, and a gap it reports: plain types, shared without importing the recorder. */

export interface RecorderSettings {
  /** The ffmpeg binary. */
  ffmpegPath: string;
  /** Target HLS segment length, seconds (keyframes are forced on this grid). */
  segmentSeconds: number;
  /** Back-off before restarting a dead ffmpeg: doubles from `min` up to `max`, ms. */
  restartBackoffMs: { min: number; max: number };
  /**
   * 0: a recording (every segment stays listed, an EVENT playlist). N > 0: a live stream only,
   * whose playlist lists the last N segments and whose older segments are deleted.
   */
  liveWindow?: number;
}

export interface Gap {
  /** Wall-clock ms when the previous run died, and when the next run wrote its first segment. */
  from: number;
  to: number;
  reason: string;
}
