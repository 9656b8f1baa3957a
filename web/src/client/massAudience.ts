/**
 * The host's side of the mass-audience profile (README, "Mass-audience profile"): while the
 * meeting is large (`meetingStats.massAudience`, from HOINGHI_MASS_AUDIENCE_VIEWERS) the microphone
 * is produced with Opus 60 ms frames and DTX, a third of the packets of 20 ms frames, for every
 * viewer. Applied when the microphone starts: a change of size takes effect at the host's next
 * microphone start; a live producer is never renegotiated.
 */
import type { types as msTypes } from 'mediasoup-client';

export function micCodecOptions(massAudience: boolean): msTypes.ProducerCodecOptions {
  return { opusStereo: false, opusDtx: true, opusFec: true, ...(massAudience && { opusPtime: 60 }) };
}
