/**
 * The keys by which a worker routes a transport's incoming RTP to one producer: media and RTX
 * SSRCs, the MID, the RIDs (a RID only conflicts for a producer without a MID, as in mediasoup's
 * RtpListener). mediasoup 3.12.16 refuses a producer that reuses a key of another
 * producer on the same transport deep in the worker, with an untyped error (worker patch 0003 in
 * scripts/worker-patches makes it a TypeError); claiming the keys here first makes every worker
 * variant answer `bad_request`.
 */
import type { types } from 'mediasoup';
import { SfuError } from './errors';

export function rtpRoutingKeys(rtp: types.RtpParameters): string[] {
  const keys: string[] = [];
  if (rtp.mid) keys.push(`mid:${rtp.mid}`);
  for (const e of rtp.encodings ?? []) {
    if (e.ssrc) keys.push(`ssrc:${e.ssrc}`);
    if (e.rtx?.ssrc) keys.push(`ssrc:${e.rtx.ssrc}`);
    if (e.rid) keys.push(`rid:${e.rid}`);
  }
  return keys;
}

/** Routing keys held by the live producers of each transport (counted: producers with MIDs may share a RID). */
export class TransportRoutingKeys {
  readonly #held = new WeakMap<object, Map<string, number>>();

  /** Claims `keys` on `transport`, or throws bad_request naming the first one already held. */
  claim(transport: object, keys: string[]): void {
    let held = this.#held.get(transport);
    if (!held) this.#held.set(transport, (held = new Map()));
    const hasMid = keys.some((k) => k.startsWith('mid:'));
    const taken = keys.find((k) => held.has(k) && !(hasMid && k.startsWith('rid:')));
    if (taken !== undefined) throw new SfuError('bad_request', `${taken.replace(':', ' ')} is used by another producer on this transport`);
    for (const k of keys) held.set(k, (held.get(k) ?? 0) + 1);
  }

  release(transport: object, keys: string[]): void {
    const held = this.#held.get(transport);
    if (!held) return;
    for (const k of keys) {
      const n = (held.get(k) ?? 0) - 1;
      if (n > 0) held.set(k, n);
      else held.delete(k);
    }
  }
}
