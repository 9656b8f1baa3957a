/**
 * Signed HLS links (signaling/recording/hlsLinks.ts): what a link grants and what it does not.
 * The same checks run in nginx (secure_link_md5) at the cache: test/integration/hlsCache.test.ts.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HlsLinks, type HlsFolder } from '../../signaling/recording/hlsLinks';
import { AppError } from '../../signaling/protocol/errors';

const SECRET = 'k'.repeat(40);
const links = new HlsLinks({ secret: SECRET, ttlS: 600, baseUrl: 'https://hls.example.vn' });
const REC: HlsFolder = { kind: 'rec', recordingId: '20260101T000000-main-0123456789abcdef01234567' };
const LIVE: HlsFolder = { kind: 'live', sessionKey: 'main', liveId: '20260101T000000-main-89abcdef0123456789abcdef' };
const NOW = Date.UTC(2026, 0, 1);

/** The parts of a signed path, as a route receives them. */
function parts(url: string): { expires: string; signature: string; meeting: string } {
  const m = /\/hls\/([^/]+)\/([^/]+)\/([^/]+)\//.exec(url)!;
  return { expires: m[1]!, signature: m[2]!, meeting: m[3]! };
}

function codeOf(fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (e instanceof AppError) return e.code;
    throw e;
  }
}

describe('signed HLS links', () => {
  it('signs a folder until now + ttl, in the form nginx secure_link_md5 checks', () => {
    const url = links.url('m1', REC, 'index.m3u8', NOW);
    const p = parts(url);
    expect(url).toBe(`https://hls.example.vn/hls/${p.expires}/${p.signature}/m1/rec/${REC.kind === 'rec' ? REC.recordingId : ''}/index.m3u8`);
    expect(Number(p.expires)).toBe(NOW / 1000 + 600);
    const nginx = createHash('md5').update(`${p.expires}|m1|rec/${(REC as { recordingId: string }).recordingId}|${SECRET}`).digest('base64url');
    expect(p.signature).toBe(nginx);
  });

  it('accepts its own link for every file of the folder until it expires', () => {
    const p = parts(links.url('m1', LIVE, 'index.m3u8', NOW));
    expect(codeOf(() => links.verify(p.expires, p.signature, 'm1', LIVE, 'index.m3u8', NOW + 599_000))).toBeNull();
    expect(codeOf(() => links.verify(p.expires, p.signature, 'm1', LIVE, 'r0-00012.ts', NOW))).toBeNull();
  });

  it('refuses an expired link as unauthorized (ask again with the token)', () => {
    const p = parts(links.url('m1', REC, 'index.m3u8', NOW));
    expect(codeOf(() => links.verify(p.expires, p.signature, 'm1', REC, 'index.m3u8', NOW + 601_000))).toBe('unauthorized');
  });

  it('refuses a signature altered, of another meeting, another folder or another key as forbidden', () => {
    const p = parts(links.url('m1', REC, 'index.m3u8', NOW));
    const flipped = (p.signature[0] === 'A' ? 'B' : 'A') + p.signature.slice(1);
    expect(codeOf(() => links.verify(p.expires, flipped, 'm1', REC, 'index.m3u8', NOW))).toBe('forbidden');
    expect(codeOf(() => links.verify(p.expires, p.signature, 'm2', REC, 'index.m3u8', NOW))).toBe('forbidden');
    expect(codeOf(() => links.verify(p.expires, p.signature, 'm1', LIVE, 'index.m3u8', NOW))).toBe('forbidden');
    expect(codeOf(() => links.verify(String(Number(p.expires) + 3600), p.signature, 'm1', REC, 'index.m3u8', NOW))).toBe('forbidden');
    const other = new HlsLinks({ secret: 'x'.repeat(40), ttlS: 600, baseUrl: '' });
    const q = parts(other.url('m1', REC, 'index.m3u8', NOW));
    expect(codeOf(() => links.verify(q.expires, q.signature, 'm1', REC, 'index.m3u8', NOW))).toBe('forbidden');
  });

  it('refuses malformed parts and any file but a playlist or a segment as bad_request', () => {
    const p = parts(links.url('m1', REC, 'index.m3u8', NOW));
    for (const file of ['../index.m3u8', '..%2Frecording.json', 'recording.json', 'r0-1.ts/../../x', 'index.m3u8\0', '']) {
      expect(codeOf(() => links.verify(p.expires, p.signature, 'm1', REC, file, NOW))).toBe('bad_request');
    }
    expect(codeOf(() => links.verify('-1', p.signature, 'm1', REC, 'index.m3u8', NOW))).toBe('bad_request');
    expect(codeOf(() => links.verify(p.expires, `${p.signature}=`, 'm1', REC, 'index.m3u8', NOW))).toBe('bad_request');
    expect(codeOf(() => links.verify(p.expires, p.signature, '../m1', REC, 'index.m3u8', NOW))).toBe('bad_request');
    expect(codeOf(() => links.verify(p.expires, p.signature, 'm1', { kind: 'rec', recordingId: '../../etc' }, 'index.m3u8', NOW))).toBe('bad_request');
    expect(() => links.prefix('m1', { kind: 'live', sessionKey: 'a/b', liveId: 'x' })).toThrow(AppError);
  });
});
