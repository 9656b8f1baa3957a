/**
 * The product as the README starts it: `scripts/start.sh` itself, as a child process, with the
 * environment a person has (no HOINGHI_* setting), except free ports (other tests run beside
 * it) and a fresh data folder (the default, `data/` of the checkout, may hold someone's
 * meetings). Everything else is the default: every core's worker, the embedded database, demo
 * sign-in, and the recordings folder, which stays the relative `recordings` of the checkout
 * (what is made there is removed afterwards). The main journeys are then walked in Chromium
 * (test/helpers/journeys.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, assertSetUp, keepCheckoutRecordings, runScript, type ScriptProcess } from '../helpers/startScript';
import { journeys } from '../helpers/journeys';

let node: ScriptProcess;
let dataDir: string;
let cleanRecordings: () => void = () => undefined;

beforeAll(async () => {
  assertSetUp();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-journeys-'));
  cleanRecordings = keepCheckoutRecordings();
  node = await runScript(
    'scripts/start.sh',
    { HOINGHI_PORT: '0', HOINGHI_RTC_BASE_PORT: '0', HOINGHI_DATA_DIR: dataDir },
    // The URL, and the line after it that says what runs.
    { ready: /hoinghi is running: (http:\/\/\S+)\s+.*demo sign-in/ },
  );
}, 300_000);

afterAll(async () => {
  await node?.stop();
  // The whole server log, for a failure's post-mortem (the failure itself shows its tail).
  if (node) fs.writeFileSync(path.join(REPO, '.build/journeys-start.log'), node.output());
  fs.rmSync(dataDir, { recursive: true, force: true });
  cleanRecordings();
});

describe('scripts/start.sh', () => {
  it('starts with the README defaults: every core\'s worker, demo sign-in on, nothing to install', () => {
    const out = node.output();
    expect(out).toContain(`${os.availableParallelism()} mediasoup worker(s); demo sign-in ON`);
    // Set-up stamps were current: it only checked them.
    expect(out).not.toMatch(/setup: npm ci|build-worker: building/);
    console.log(`scripts/start.sh printed its URL after ${(node.startMs / 1000).toFixed(1)} s (set-up checks included)`);
  });
});

journeys('scripts/start.sh', () => ({ baseUrl: node.url, diagnostics: () => node.output().slice(-6000) }));
