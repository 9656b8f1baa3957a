/**
 * Time from a teacher's page load to the first decoded video frame, in Debian's Chromium.
 * A host publishes simulcast camera + mic; then RUNS times a new teacher (fresh browser context,
 * token already in session storage, as after sign-in) opens the teacher page. The time is read
 * in the page: performance.now() (ms since navigation start) when getStats first reports
 * framesDecoded > 0. Loopback only; stops by itself.
 *
 *   node --import tsx load-tests/firstFrame.ts [runs=10]
 * Writes load-tests/results/first-frame.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import { startServer } from '../harness/server';
import { launchChromium, newContext, signIn } from '../harness/browser';

const RUNS = Number(process.argv[2] ?? 10);

async function main(): Promise<void> {
  const server = await startServer({
    HOINGHI_WORKERS: String(os.availableParallelism()),
    HOINGHI_DEMO_MEETING: 'bench',
    ...(process.env.HOINGHI_KEYFRAME_DELAY_MS ? { HOINGHI_KEYFRAME_DELAY_MS: process.env.HOINGHI_KEYFRAME_DELAY_MS } : {}),
  });
  const browser = await launchChromium();
  try {
    const hostCtx = await newContext(browser);
    const host = await hostCtx.newPage();
    await signIn(host, server.url, 'bo-truong');
    await host.click('button[data-control="camera"]');
    await host.click('button[data-control="mic"]');
    await host.waitForSelector('button[data-control="camera"][data-on="true"]');

    const timesMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const res = await fetch(`${server.url}/api/demo/signin`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ accountId: 'gv-hn-1' }),
      });
      const session = (await res.json()) as { token: string; meetingId: string; account: unknown };
      const ctx = await newContext(browser);
      await ctx.addInitScript((s) => sessionStorage.setItem('hoinghi.session', s), JSON.stringify(session));
      const page = await ctx.newPage();
      await page.goto(`${server.url}/teacher`);
      const ms = await page.evaluate(async () => {
        const pcs = (window as unknown as { __testPcs: RTCPeerConnection[] }).__testPcs;
        const deadline = performance.now() + 30_000;
        while (performance.now() < deadline) {
          for (const pc of pcs) {
            const report = await pc.getStats();
            let decoded = 0;
            report.forEach((s: { type: string; kind?: string; framesDecoded?: number }) => {
              if (s.type === 'inbound-rtp' && s.kind === 'video') decoded += s.framesDecoded ?? 0;
            });
            if (decoded > 0) return performance.now();
          }
          await new Promise((r) => setTimeout(r, 10));
        }
        return -1;
      });
      if (ms < 0) throw new Error(`run ${i}: no frame within 30 s`);
      timesMs.push(Math.round(ms));
      console.log(`run ${i + 1}/${RUNS}: first frame after ${Math.round(ms)} ms`);
      await ctx.close();
    }
    const sorted = [...timesMs].sort((a, b) => a - b);
    const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
    const result = {
      benchmark: 'teacher page load → first decoded frame',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
      runs: RUNS,
      timesMs,
      medianMs: median,
      minMs: sorted[0],
      maxMs: sorted.at(-1),
    };
    fs.mkdirSync('load-tests/results', { recursive: true });
    fs.writeFileSync('load-tests/results/first-frame.json', JSON.stringify(result, null, 2) + '\n');
    console.log(`\nmedian ${median} ms (min ${result.minMs}, max ${result.maxMs}) over ${RUNS} runs → load-tests/results/first-frame.json`);
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
