/**
 * The host's side of the mass-audience profile (docs/large-audiences.md): while the
 * meeting is large (`meetingStats.massAudience`, from HOINGHI_MASS_AUDIENCE_VIEWERS)
 * - the microphone is produced with Opus 60 ms frames and DTX, a third of the packets of 20 ms
 *   frames, for every viewer. Applied when the microphone starts: a change of size takes effect at
 *   the host's next microphone start; a live producer is never renegotiated;
 * - the camera's middle layer is 20 fps at 350 kbps, applied at once to a live camera too.
 */
import type { types as msTypes } from 'mediasoup-client';

export function micCodecOptions(massAudience: boolean): msTypes.ProducerCodecOptions {
  return { opusStereo: false, opusDtx: true, opusFec: true, ...(massAudience && { opusPtime: 60 }) };
}

/** The camera's middle simulcast layer in a large meeting: what most of the audience receives. */
export const MASS_MIDDLE_LAYER = { maxBitrate: 350_000, maxFramerate: 20 } as const;

/**
 * Simulcast: three layers of one camera capture (180p / 360p / 720p for a 1280x720 capture). In a
 * large meeting the middle layer, the mass audience's default, is 20 fps at 350 kbps instead of
 * 30 fps at 500 kbps: 57 RTP packets/s per viewer instead of 77–79, ×0.82 the SFU's CPU per viewer
 * (load-tests/viewerCost.ts `massNoBwe20`), and 150 kbps less for every teacher's link. The top
 * layer (pinned, full screen) stays 30 fps at 1.2 Mbps.
 */
export function cameraEncodings(massAudience: boolean): msTypes.RtpEncodingParameters[] {
  return [
    { scaleResolutionDownBy: 4, maxBitrate: 150_000, maxFramerate: 15 },
    { scaleResolutionDownBy: 2, ...(massAudience ? MASS_MIDDLE_LAYER : { maxBitrate: 500_000, maxFramerate: 30 }) },
    { scaleResolutionDownBy: 1, maxBitrate: 1_200_000, maxFramerate: 30 },
  ];
}

/**
 * Changes a live camera's middle layer when the meeting becomes large or small again, on the
 * sender itself (no renegotiation, unlike the microphone's frame length). Returns whether it
 * changed anything.
 */
export async function applyCameraProfile(sender: RTCRtpSender, massAudience: boolean): Promise<boolean> {
  const params = sender.getParameters();
  const encodings = params.encodings ?? [];
  // mediasoup-client names the layers r0 (lowest) … r2; by position where the rid is missing.
  const middle = encodings.find((e) => e.rid === 'r1') ?? (encodings.length === 3 ? encodings[1] : undefined);
  if (!middle) return false;
  const want = cameraEncodings(massAudience)[1]!;
  if (middle.maxBitrate === want.maxBitrate && middle.maxFramerate === want.maxFramerate) return false;
  middle.maxBitrate = want.maxBitrate;
  middle.maxFramerate = want.maxFramerate;
  await sender.setParameters(params);
  return true;
}
