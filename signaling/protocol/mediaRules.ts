/**
 * Semantic rules for a producer's RTP parameters that mediasoup 3.12.16 does not enforce (or
 * enforces only deep in the worker, as an untyped error). Each was found accepted from outside:
 * an audio producer with a video codec, a scalabilityMode that promises 99 spatial layers (after
 * which no viewer could consume anything), SSRCs of 2^32 and above, duplicate rids, an RTX SSRC
 * equal to its media SSRC. They are refused here, in the `produce` schema, before mediasoup.
 */
import type { z } from 'zod';

/** `L1T3`, `S3T3`, `L2T2_KEY`, `L3T3_KEY_SHIFT`: at most 3 spatial and 3 temporal layers. */
const SCALABILITY_MODE = /^([LS])([1-3])T([1-3])(_KEY(_SHIFT)?)?$/;

export const MAX_SSRC = 0xffff_ffff;

interface EncodingLike {
  ssrc?: number | undefined;
  rid?: string | undefined;
  rtx?: { ssrc: number } | undefined;
  scalabilityMode?: string | undefined;
}

interface ProduceLike {
  kind: 'audio' | 'video';
  rtpParameters: { codecs: { mimeType: string }[]; encodings?: EncodingLike[] | undefined };
}

/** The first rule a produce payload breaks, with the path of the offending field; null if none. */
export function producerParametersProblem(p: ProduceLike): { path: (string | number)[]; message: string } | null {
  const { kind, rtpParameters } = p;
  for (const [i, codec] of rtpParameters.codecs.entries()) {
    const type = codec.mimeType.split('/')[0]?.toLowerCase();
    if (type !== kind) return { path: ['rtpParameters', 'codecs', i, 'mimeType'], message: `a ${kind} producer cannot use a ${type} codec` };
  }
  const encodings = rtpParameters.encodings ?? [];
  const ssrcs = new Set<number>();
  const rids = new Set<string>();
  for (const [i, e] of encodings.entries()) {
    const at = (field: string): (string | number)[] => ['rtpParameters', 'encodings', i, field];
    for (const [field, ssrc] of [['ssrc', e.ssrc], ['rtx', e.rtx?.ssrc]] as const) {
      if (ssrc === undefined) continue;
      if (ssrc > MAX_SSRC) return { path: at(field), message: 'ssrc must be below 2^32' };
      if (ssrcs.has(ssrc)) return { path: at(field), message: 'ssrc used twice in one producer' };
      ssrcs.add(ssrc);
    }
    if (e.rid !== undefined) {
      if (rids.has(e.rid)) return { path: at('rid'), message: 'rid used twice in one producer' };
      rids.add(e.rid);
    }
    if (e.scalabilityMode !== undefined) {
      const m = SCALABILITY_MODE.exec(e.scalabilityMode);
      if (!m) return { path: at('scalabilityMode'), message: 'unknown scalabilityMode' };
      const spatial = Number(m[2]);
      if (kind === 'audio' && e.scalabilityMode !== 'L1T1') return { path: at('scalabilityMode'), message: 'audio has no layers' };
      // Simulcast (several encodings): each encoding is one spatial layer.
      if (encodings.length > 1 && spatial !== 1) {
        return { path: at('scalabilityMode'), message: 'a simulcast encoding has one spatial layer' };
      }
    }
  }
  return null;
}

/** For a zod `superRefine` on the produce payload. */
export function refineProducerParameters(p: ProduceLike, ctx: z.RefinementCtx): void {
  const problem = producerParametersProblem(p);
  if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
}
