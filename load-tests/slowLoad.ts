/**
 * First load of the web client on a 3G-class link, in Debian's Chromium with the network
 * throttled through the DevTools protocol (Network.emulateNetworkConditions): the time until the
 * sign-in page is usable (its account buttons on screen), the bytes on the wire, and a second
 * load with the cache warm. Served as built (brotli files) and, for comparison, from a copy of
 * the build without the precompressed files. Loopback only; stops by itself.
 *
 *   node --import tsx load-tests/slowLoad.ts [runs=3]
 * Writes load-tests/results/slow-load.json. Needs the web build (scripts/setup.sh).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { startServer } from '../harness/server';
import { launchChromium, newContext } from '../harness/browser';
import { machine, percentile, runBenchmark, writeResult } from './lib';

const RUNS = Number(process.argv[2] ?? 3);

/** Link profiles: WebPageTest's "3G" and Chrome DevTools' "Slow 3G". */
const LINKS = {
  '3g': { latency: 300, downloadThroughput: (1_600_000 / 8), uploadThroughput: (768_000 / 8) },
  'slow-3g': { latency: 2_000, downloadThroughput: (400_000 / 8), uploadThroughput: (400_000 / 8) },
} as const;

interface Load {
  usableMs: number;
  domContentLoadedMs: number;
  bytes: number;
  warmUsableMs: number;
  warmBytes: number;
}

async function load(browser: Browser, url: string, link: (typeof LINKS)[keyof typeof LINKS]): Promise<Load> {
  const ctx = await newContext(browser);
  try {
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, ...link });
    let bytes = 0;
    cdp.on('Network.loadingFinished', (e: { encodedDataLength: number }) => {
      bytes += e.encodedDataLength;
    });
    const measure = async (): Promise<{ usableMs: number; domContentLoadedMs: number }> => {
      await page.waitForSelector('button[data-account]', { timeout: 120_000 });
      return page.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        return { usableMs: Math.round(performance.now()), domContentLoadedMs: Math.round(nav.domContentLoadedEventEnd) };
      });
    };
    await page.goto(url, { timeout: 120_000 });
    const cold = await measure();
    const coldBytes = bytes;
    bytes = 0;
    await page.reload({ timeout: 120_000 });
    const warm = await measure();
    return { ...cold, bytes: coldBytes, warmUsableMs: warm.usableMs, warmBytes: bytes };
  } finally {
    await ctx.close();
  }
}

async function main(): Promise<void> {
  const dist = path.resolve('web/dist');
  if (!fs.existsSync(path.join(dist, 'index.html'))) throw new Error('web/dist is missing: run scripts/setup.sh first');
  // The same build without its .br/.gz files: what the server sent before precompression.
  const plain = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-plain-'));
  fs.cpSync(dist, plain, { recursive: true, filter: (f) => !/\.(br|gz)$/.test(f) });
  const compressed = await startServer({ HOINGHI_DEMO_MEETING: 'bench' });
  const uncompressed = await startServer({ HOINGHI_DEMO_MEETING: 'bench', HOINGHI_WEB_DIST: plain });
  const browser = await launchChromium();
  const results: Record<string, unknown> = {};
  try {
    for (const [linkName, link] of Object.entries(LINKS)) {
      for (const [variant, server] of [['brotli', compressed], ['uncompressed', uncompressed]] as const) {
        const runs: Load[] = [];
        for (let i = 0; i < RUNS; i++) runs.push(await load(browser, server.url, link));
        const usable = runs.map((r) => r.usableMs).sort((a, b) => a - b);
        const summary = {
          usableMsMedian: percentile(usable, 50),
          usableMsMax: usable[usable.length - 1],
          kiloBytes: Math.round(runs[0]!.bytes / 1024),
          warmUsableMsMedian: percentile(runs.map((r) => r.warmUsableMs).sort((a, b) => a - b), 50),
          warmKiloBytes: Math.round(runs[0]!.warmBytes / 1024),
          runs,
        };
        results[`${linkName}/${variant}`] = summary;
        console.log(
          `${linkName.padEnd(8)} ${variant.padEnd(13)} usable ${summary.usableMsMedian} ms (max ${summary.usableMsMax}), ` +
            `${summary.kiloBytes} KiB; warm reload ${summary.warmUsableMsMedian} ms, ${summary.warmKiloBytes} KiB`,
        );
      }
    }
  } finally {
    await browser.close();
    await compressed.close();
    await uncompressed.close();
    fs.rmSync(plain, { recursive: true, force: true });
  }
  const file = writeResult('slow-load', { links: LINKS, runs: RUNS, results, machine: machine(), at: new Date().toISOString() });
  console.log(`wrote ${file}`);
}

runBenchmark(main);
