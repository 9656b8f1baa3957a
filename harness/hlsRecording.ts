/**
 * A finished recording written straight into a node's recording folder, as the recorder leaves
 * one (H.264 ~1 Mbps + AAC, 2 s MPEG-TS segments `r0-NNNNN.ts`, an EVENT playlist, and its
 * `recording.json`), for tests and benchmarks of HLS serving that need no host's media.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { RecordingInfo } from '../signaling/recording/recordingTypes';

/** Writes `<dir>/<meetingId>/<recordingId>/` with `seconds` of test picture and tone. */
export function writeRecording(dir: string, meetingId: string, recordingId: string, seconds: number): RecordingInfo {
  const rec = path.join(dir, meetingId, recordingId);
  fs.mkdirSync(rec, { recursive: true });
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '1000k', '-force_key_frames', 'expr:gte(t,n_forced*2)',
    '-c:a', 'aac', '-b:a', '96k',
    '-f', 'hls', '-hls_time', '2', '-hls_list_size', '0', '-hls_playlist_type', 'event', '-hls_segment_filename', 'r0-%05d.ts', 'index.m3u8',
  ], { cwd: rec });
  const info: RecordingInfo = {
    id: recordingId, meetingId, sessionKey: 'main', startedBy: 'test', startedAt: Date.now() - (seconds + 10) * 1000, endedAt: Date.now(),
    stopReason: 'host', durationS: seconds, gaps: [], sent: { audioPackets: 0, videoPackets: 0, bytes: 0 },
  };
  fs.writeFileSync(path.join(rec, 'recording.json'), JSON.stringify(info));
  return info;
}
