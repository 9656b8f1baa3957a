/**
 * Debian's Chromium driven by playwright-core (never a browser download), with a fake camera
 * and microphone, plus WebRTC stats read from every RTCPeerConnection a page creates.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { NetHost } from './netns';

export const CHROMIUM = process.env.HOINGHI_CHROMIUM ?? '/usr/bin/chromium';

/** playwright-core 1.65's own --disable-features list; Chromium keeps only the last such flag. */
const PLAYWRIGHT_DISABLED_FEATURES = [
  'AvoidUnnecessaryBeforeUnloadCheckSync', 'DestroyProfileOnBrowserClose', 'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable', 'LensOverlay', 'MediaRouter', 'PaintHolding',
  'ThirdPartyStoragePartitioning', 'AvoidCorsURLLoaderRestartOnRedirect', 'TcpPortRandomizationWin',
  'OptimizationHints', 'NetworkTimeServiceQuerying', 'AimEnabled', 'PreconnectToSearch',
  'msForceBrowserSignIn', 'msEdgeUpdateLaunchServicesPreferredVersion',
];

/**
 * With `host` (harness/netns.ts), Chromium runs in that network namespace (Playwright drives it
 * over a pipe). `secureOrigins`: plain-HTTP origins to treat as secure (camera, microphone and
 * WebCrypto need a secure context; a deployment serves HTTPS, a test topology serves http://10.x).
 * `trustSpki`: certificates (by their key's base64 SHA-256) accepted although no CA vouches for
 * them, e.g. a test TURN server's (harness/turn.ts); every other certificate is checked as usual.
 */
export async function launchChromium(options: { host?: NetHost; secureOrigins?: string[]; trustSpki?: string[] } = {}): Promise<Browser> {
  const secure = options.secureOrigins?.length ? [`--unsafely-treat-insecure-origin-as-secure=${options.secureOrigins.join(',')}`] : [];
  const trusted = options.trustSpki?.length ? [`--ignore-certificate-errors-spki-list=${options.trustSpki.join(',')}`] : [];
  return chromium.launch({
    executablePath: options.host ? options.host.wrapper(CHROMIUM) : CHROMIUM,
    headless: true,
    ignoreDefaultArgs: [`--disable-features=${PLAYWRIGHT_DISABLED_FEATURES.join(',')}`],
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
      '--allow-loopback-in-peer-connection',
      `--disable-features=${[...PLAYWRIGHT_DISABLED_FEATURES, 'AudioServiceOutOfProcess'].join(',')}`,
      ...secure,
      ...trusted,
    ],
  });
}

/** A fresh context (its own storage: another person) whose pages record their peer connections. */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(['camera', 'microphone']);
  await instrument(context);
  return context;
}

/**
 * Test instrumentation only: record Content-Security-Policy violations, and keep a handle on
 * each RTCPeerConnection to read getStats() (inboundStats and the like).
 */
export async function instrument(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const violations: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = violations;
    document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    const Native = window.RTCPeerConnection;
    const pcs: RTCPeerConnection[] = [];
    (window as unknown as { __testPcs: RTCPeerConnection[] }).__testPcs = pcs;
    window.RTCPeerConnection = class extends Native {
      constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
        super(...args);
        pcs.push(this);
      }
    } as typeof RTCPeerConnection;
  });
}

export interface InboundStats {
  /** Sum over live video receivers. */
  framesDecoded: number;
  videoPacketsReceived: number;
  audioPacketsReceived: number;
  /** Per receive track: trackIdentifier → counters. */
  tracks: Record<string, { kind: string; framesDecoded?: number; packetsReceived: number }>;
}

/** Sums inbound-rtp stats across the page's open peer connections. */
export async function inboundStats(page: Page): Promise<InboundStats> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __testPcs: RTCPeerConnection[] }).__testPcs ?? [];
    const out = { framesDecoded: 0, videoPacketsReceived: 0, audioPacketsReceived: 0, tracks: {} as Record<string, { kind: string; framesDecoded?: number; packetsReceived: number }> };
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      const live = new Set(
        pc.getTransceivers()
          .filter((t) => t.currentDirection !== 'stopped' && t.currentDirection !== 'inactive' && t.receiver.track.readyState === 'live')
          .map((t) => t.receiver.track.id),
      );
      const report = await pc.getStats();
      report.forEach((s: { type: string; kind?: string; trackIdentifier?: string; framesDecoded?: number; packetsReceived?: number }) => {
        // 'probator' is mediasoup's bandwidth-probing stream, not media.
        if (s.type !== 'inbound-rtp' || !s.trackIdentifier || s.trackIdentifier === 'probator' || !live.has(s.trackIdentifier)) return;
        out.tracks[s.trackIdentifier] = { kind: s.kind ?? '', framesDecoded: s.framesDecoded, packetsReceived: s.packetsReceived ?? 0 };
        if (s.kind === 'video') {
          out.framesDecoded += s.framesDecoded ?? 0;
          out.videoPacketsReceived += s.packetsReceived ?? 0;
        } else if (s.kind === 'audio') {
          out.audioPacketsReceived += s.packetsReceived ?? 0;
        }
      });
    }
    return out;
  });
}

/**
 * The video codecs (mime types) of the page's peer connections, read from WebRTC stats: what its
 * live receive tracks decode frames of (`inbound`), or what it sends (`outbound`).
 */
export async function videoCodecs(page: Page, direction: 'inbound' | 'outbound'): Promise<string[]> {
  return page.evaluate(async (dir) => {
    const pcs = (window as unknown as { __testPcs: RTCPeerConnection[] }).__testPcs ?? [];
    const out = new Set<string>();
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      const report = await pc.getStats();
      report.forEach((s: { type: string; kind?: string; codecId?: string; framesDecoded?: number; framesEncoded?: number; trackIdentifier?: string }) => {
        if (s.type !== `${dir}-rtp` || s.kind !== 'video' || !s.codecId || s.trackIdentifier === 'probator') return;
        if ((dir === 'inbound' ? s.framesDecoded : s.framesEncoded ?? 1) === 0) return;
        const codec = report.get(s.codecId) as { mimeType?: string } | undefined;
        if (codec?.mimeType) out.add(codec.mimeType);
      });
    }
    return [...out].sort();
  }, direction);
}

/** Waits for the page to decode video frames, then for the count to keep rising (within deadlines: the browsers share two cores with the servers). */
export async function framesRise(page: Page, what: string): Promise<void> {
  const first = await waitFor(() => inboundStats(page), (s) => s.framesDecoded > 0, 30_000, what);
  await waitFor(() => inboundStats(page), (s) => s.framesDecoded > first.framesDecoded, 15_000, `${what}, rising`);
}

/** Video frames decoded on receive tracks other than `old`: media that arrived after a failover. */
export async function framesOnNewTracks(page: Page, old: Set<string>): Promise<number> {
  const { tracks } = await inboundStats(page);
  return Object.entries(tracks).filter(([id, t]) => !old.has(id) && t.kind === 'video').reduce((n, [, t]) => n + (t.framesDecoded ?? 0), 0);
}

/** The ids of the page's live receive tracks. */
export async function trackIds(page: Page): Promise<Set<string>> {
  return new Set(Object.keys((await inboundStats(page)).tracks));
}

/** Polls until `check` passes or the deadline passes (then throws with the last value). */
export async function waitFor<T>(read: () => Promise<T>, check: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const start = Date.now();
  let last: T = await read();
  while (!check(last)) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
    last = await read();
  }
  return last;
}

/** Signs in through the UI by picking a demo account, and waits until the sign-in page is gone. */
export async function signIn(page: Page, baseUrl: string, accountId: string): Promise<void> {
  await page.goto(baseUrl);
  await page.click(`button[data-account="${accountId}"]`);
  try {
    await page.waitForSelector('main.signin', { state: 'detached', timeout: 20_000 });
  } catch {
    const shown = await page.evaluate(() => document.querySelector('main.signin')?.textContent?.slice(-200) ?? '');
    throw new Error(`sign-in as ${accountId} did not leave the sign-in page: ${shown}`);
  }
}

/**
 * Inbound RTP counters of the track played by the <audio>/<video> element whose
 * data-producer-id is `producerId`: null when no such element (or no stats for its track) exists.
 */
export async function inboundForProducer(page: Page, producerId: string): Promise<{ packetsReceived: number; framesDecoded: number } | null> {
  return page.evaluate(async (pid) => {
    const el = document.querySelector<HTMLMediaElement>(`[data-producer-id="${pid}"]`);
    const track = (el?.srcObject as MediaStream | null)?.getTracks()[0];
    if (!track) return null;
    const pcs = (window as unknown as { __testPcs: RTCPeerConnection[] }).__testPcs ?? [];
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      const report = await pc.getStats();
      let found: { packetsReceived: number; framesDecoded: number } | null = null;
      report.forEach((s: { type: string; trackIdentifier?: string; packetsReceived?: number; framesDecoded?: number }) => {
        if (s.type === 'inbound-rtp' && s.trackIdentifier === track.id) {
          found = { packetsReceived: s.packetsReceived ?? 0, framesDecoded: s.framesDecoded ?? 0 };
        }
      });
      if (found !== null) return found;
    }
    return null;
  }, producerId);
}

export async function packetsForProducer(page: Page, producerId: string): Promise<number | null> {
  return (await inboundForProducer(page, producerId))?.packetsReceived ?? null;
}

/** A new person: a fresh context (kept in `contexts` for closing), signed in as a demo account. */
export async function openAs(browser: Browser, contexts: BrowserContext[], baseUrl: string, accountId: string): Promise<Page> {
  const ctx = await newContext(browser);
  contexts.push(ctx);
  const page = await ctx.newPage();
  await signIn(page, baseUrl, accountId);
  return page;
}

/** Closes every context, then the browser, then the node (whatever of them exists). */
export async function closeAll(contexts: BrowserContext[], browser: Browser | undefined, server: { close(): Promise<void> } | undefined): Promise<void> {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await server?.close();
}
