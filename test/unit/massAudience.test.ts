/** The mass-audience capability filter: transport-cc out, everything REMB needs kept. */
import { describe, expect, it } from 'vitest';
import { getSupportedRtpCapabilities } from 'mediasoup';
import { TRANSPORT_WIDE_CC_URI, isMassAudience, meetingIsLarge, withoutTransportCc } from '../../signaling/meeting/massAudience';
import type { RtpCapabilities } from '../../signaling/protocol/events';
import type { MeetingState } from '../../signaling/store/types';
import { micCodecOptions } from '../../web/src/client/massAudience';

type Codec = { mimeType: string; rtcpFeedback?: { type: string; parameter?: string }[] };
type Ext = { uri: string };
const feedback = (caps: RtpCapabilities, mimeType: string) =>
  ((caps.codecs as Codec[]).find((c) => c.mimeType === mimeType)!.rtcpFeedback ?? []).map((fb) => fb.type);
const uris = (caps: RtpCapabilities) => (caps.headerExtensions as Ext[]).map((e) => e.uri);

describe('withoutTransportCc', () => {
  const supported = getSupportedRtpCapabilities() as unknown as RtpCapabilities;

  it('removes transport-cc feedback from every codec and the transport-wide-cc extension', () => {
    // The input really has them (mediasoup 3.12.16's supported capabilities, as a browser offers them).
    expect(feedback(supported, 'video/VP8')).toContain('transport-cc');
    expect(uris(supported)).toContain(TRANSPORT_WIDE_CC_URI);
    const out = withoutTransportCc(supported);
    for (const codec of out.codecs as Codec[]) expect((codec.rtcpFeedback ?? []).map((fb) => fb.type)).not.toContain('transport-cc');
    expect(uris(out)).not.toContain(TRANSPORT_WIDE_CC_URI);
  });

  it('keeps goog-remb, NACK, PLI and abs-send-time, and every codec', () => {
    const out = withoutTransportCc(supported);
    expect(feedback(out, 'video/VP8')).toEqual(expect.arrayContaining(['goog-remb', 'nack', 'ccm']));
    expect(uris(out)).toContain('http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time');
    expect((out.codecs as Codec[]).map((c) => c.mimeType)).toEqual((supported.codecs as Codec[]).map((c) => c.mimeType));
    expect(uris(out)).toEqual(uris(supported).filter((u) => u !== TRANSPORT_WIDE_CC_URI));
  });

  it('leaves its input untouched and is idempotent', () => {
    const before = JSON.stringify(supported);
    const once = withoutTransportCc(supported);
    expect(JSON.stringify(supported)).toBe(before);
    expect(withoutTransportCc(once)).toEqual(once);
  });

  it('accepts capabilities without codecs or extensions', () => {
    expect(withoutTransportCc({})).toEqual({});
  });
});

describe('isMassAudience', () => {
  it('is large at or above the threshold, never with a threshold of 0', () => {
    expect(isMassAudience(299, 300)).toBe(false);
    expect(isMassAudience(300, 300)).toBe(true);
    expect(isMassAudience(1_000_000, 0)).toBe(false);
  });
});

describe('meetingIsLarge', () => {
  function fakeState(viewers: () => number): { state: MeetingState; reads: () => number } {
    let reads = 0;
    const state = { counts: async () => (reads++, { viewers: viewers() }) } as unknown as MeetingState;
    return { state, reads: () => reads };
  }

  it('reads the counts while small, and reuses a large answer instead of reading again', async () => {
    let viewers = 1;
    const { state, reads } = fakeState(() => viewers);
    expect(await meetingIsLarge(state, 2)).toBe(false);
    expect(await meetingIsLarge(state, 2)).toBe(false);
    expect(reads()).toBe(2);
    viewers = 2;
    expect(await meetingIsLarge(state, 2)).toBe(true);
    expect(await meetingIsLarge(state, 2)).toBe(true);
    expect(reads()).toBe(3);
  });

  it('never reads the counts with a threshold of 0', async () => {
    const { state, reads } = fakeState(() => 1_000_000);
    expect(await meetingIsLarge(state, 0)).toBe(false);
    expect(reads()).toBe(0);
  });
});

describe('micCodecOptions (the host page)', () => {
  it('asks for Opus 60 ms frames only while the meeting is large, DTX always', () => {
    expect(micCodecOptions(true)).toMatchObject({ opusPtime: 60, opusDtx: true });
    expect(micCodecOptions(false).opusPtime).toBeUndefined();
    expect(micCodecOptions(false).opusDtx).toBe(true);
  });
});
