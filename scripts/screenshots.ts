/**
 * Regenerates the README's screenshots: the sign-in page a newcomer sees at the printed URL, the
 * host console while broadcasting, and a teacher's view. Loopback only.
 *   node --import tsx scripts/screenshots.ts
 */
import { startServer } from '../test/helpers/server';
import { launchChromium, newContext, signIn, inboundStats, waitFor } from '../test/helpers/browser';

const server = await startServer({ HOINGHI_WORKERS: '2', HOINGHI_DEMO_MEETING: 'hoi-nghi-toan-quoc' });
const browser = await launchChromium();
try {
  const hostCtx = await newContext(browser);
  const host = await hostCtx.newPage();
  await host.goto(server.url);
  await host.waitForSelector('button[data-account="bo-truong"]');
  await host.screenshot({ path: 'docs/sign-in.png' });
  await signIn(host, server.url, 'bo-truong');
  await host.click('button[data-control="camera"]');
  await host.click('button[data-control="mic"]');
  const teacherCtx = await newContext(browser);
  const teacher = await teacherCtx.newPage();
  await signIn(teacher, server.url, 'gv-lc-1');
  await waitFor(() => inboundStats(teacher), (s) => s.framesDecoded > 30, 30_000, 'frames');
  await waitFor(() => host.textContent('[data-testid="viewer-count"]'), (t) => t === '1', 10_000, 'viewer count');
  await teacher.screenshot({ path: 'docs/teacher.png' });
  await host.screenshot({ path: 'docs/host.png' });
  console.log('wrote docs/sign-in.png, docs/host.png, docs/teacher.png');
} finally {
  await browser.close();
  await server.close();
}
