/**
 * RTP and DTLS parameters as a browser would send them, for socket-level tests that publish and
 * consume through real mediasoup workers without a browser.
 */
export const dtlsParameters = {
  role: 'client' as const,
  fingerprints: [
    {
      algorithm: 'sha-256' as const,
      value: '82:5A:68:3D:36:C3:0A:DE:AF:E7:32:43:D2:88:83:57:AC:2D:65:E5:80:C4:B6:FB:AF:1A:A0:21:9F:6D:0C:AD',
    },
  ],
};

let ssrc = 1000;

export function videoRtpParameters(mid = '0') {
  const base = (ssrc += 10);
  return {
    mid,
    codecs: [
      {
        mimeType: 'video/VP8',
        payloadType: 96,
        clockRate: 90000,
        rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }, { type: 'goog-remb' }],
      },
    ],
    headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 }],
    encodings: [
      { ssrc: base + 1, scaleResolutionDownBy: 4, maxBitrate: 150_000 },
      { ssrc: base + 2, scaleResolutionDownBy: 2, maxBitrate: 500_000 },
      { ssrc: base + 3, scaleResolutionDownBy: 1, maxBitrate: 1_200_000 },
    ],
    rtcp: { cname: 'test-cname' },
  };
}

export function audioRtpParameters(mid = '1') {
  return {
    mid,
    codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 } }],
    headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 }],
    encodings: [{ ssrc: (ssrc += 10) }],
    rtcp: { cname: 'test-cname' },
  };
}
