/**
 * A studio encoder in Chromium: whip-whep's WHIPClient (by the WHIP protocol's author), as it
 * ships, in a page of the node's origin, publishing the fake camera and microphone to a WHIP URL
 * with a bearer token. For journeys and screenshots that need an encoder beside the browsers.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { newContext } from './browser';

const require = createRequire(import.meta.url);

const APP = `
import { WHIPClient } from '/__encoder/whip.js';
window.publish = async (url, token) => {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
  const pc = new RTCPeerConnection();
  for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
  window.client = new WHIPClient();
  await window.client.publish(pc, url, token);
};
window.unpublish = () => window.client.stop();
`;

/** Opens an encoder page at `baseUrl` (its context kept in `contexts` for closing). */
export async function openEncoder(browser: Browser, contexts: BrowserContext[], baseUrl: string): Promise<Page> {
  const files: Record<string, string> = { 'app.js': APP, 'whip.js': fs.readFileSync(require.resolve('whip-whep/whip.js'), 'utf8') };
  const ctx = await newContext(browser);
  contexts.push(ctx);
  const page = await ctx.newPage();
  await page.route(`${baseUrl}/__encoder/**`, (route) => {
    const name = new URL(route.request().url()).pathname.split('/').pop()!;
    if (name === 'index.html') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><meta charset="utf-8"><title>encoder</title><script type="module" src="/__encoder/app.js"></script>' });
    const body = files[name];
    return body === undefined ? route.fulfill({ status: 404 }) : route.fulfill({ contentType: 'text/javascript', body });
  });
  await page.goto(`${baseUrl}/__encoder/index.html`);
  await page.waitForFunction('typeof window.publish === "function"');
  return page;
}

/** Publishes the encoder page's camera and microphone over WHIP. */
export async function publishOverWhip(encoder: Page, whipUrl: string, token: string): Promise<void> {
  await encoder.evaluate(([url, t]) => (window as unknown as { publish(u: string, t: string): Promise<void> }).publish(url!, t!), [whipUrl, token]);
}
