/**
 * A browser context whose pages cannot make WebRTC connections: an init script replaces
 * RTCPeerConnection with a constructor that throws, as a browser behind a policy that forbids it
 * would (mediasoup-client's Device cannot load). Each attempt is counted in `window.__pcAttempts`.
 * The page then falls back to the delayed HLS stream (reason `blocked`).
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { newContext } from '../../harness/browser';

export async function webRtcBlockedContext(browser: Browser, contexts: BrowserContext[]): Promise<BrowserContext> {
  const blocked = await newContext(browser);
  contexts.push(blocked);
  await blocked.addInitScript(() => {
    const w = window as unknown as { __pcAttempts: number };
    w.__pcAttempts = 0;
    window.RTCPeerConnection = function RTCPeerConnection() {
      w.__pcAttempts += 1;
      throw new DOMException('WebRTC is blocked on this machine', 'NotSupportedError');
    } as unknown as typeof RTCPeerConnection;
  });
  return blocked;
}
