/**
 * What a WHEP viewer receives: the main session's broadcast as a teacher sees it, one video and
 * one audio. Video: a screen share of the session's hosts if any, else a studio encoder's camera
 * (WHIP), else a national host's camera. Audio: a studio encoder's, else a national host's
 * microphone. Breakouts' producers are never the broadcast.
 */
import type { PublishedProducer } from '../store/types';

const fromEncoder = (p: PublishedProducer): boolean => p.peerId.startsWith('whip:');
const onAir = (p: PublishedProducer): boolean => p.sessionKey === 'main' && (p.national || p.sessionHost === true);

export function broadcastSources(published: Iterable<PublishedProducer>): { video: PublishedProducer | null; audio: PublishedProducer | null } {
  const main = [...published].filter(onAir);
  const video =
    main.find((p) => p.kind === 'video' && p.source === 'screen') ??
    main.find((p) => p.kind === 'video' && p.source === 'camera' && fromEncoder(p)) ??
    main.find((p) => p.kind === 'video' && p.source === 'camera') ??
    null;
  const audio = main.find((p) => p.kind === 'audio' && fromEncoder(p)) ?? main.find((p) => p.kind === 'audio') ?? null;
  return { video, audio };
}
