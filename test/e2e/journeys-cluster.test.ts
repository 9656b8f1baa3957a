/**
 * The same journeys as journeys-start.test.ts, through `scripts/start-cluster.sh` itself: its
 * HAProxy address in front of three signaling processes on one PostgreSQL server and one Redis,
 * two SFU node processes (test/helpers/clusterScript.ts runs the script on free ports and a fresh
 * database folder). The participants' sockets land on whichever signaling process HAProxy picks,
 * so the meeting's state, its breakouts, hands, polls, recordings and delayed stream cross
 * processes as they do in production.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClusterScript, type ClusterScript } from '../helpers/clusterScript';
import { REPO, keepCheckoutRecordings } from '../helpers/startScript';
import { journeys } from '../helpers/journeys';

let cluster: ClusterScript;
let cleanRecordings: () => void = () => undefined;

beforeAll(async () => {
  cleanRecordings = keepCheckoutRecordings();
  cluster = await startClusterScript();
}, 360_000);

afterAll(async () => {
  if (cluster) {
    fs.writeFileSync(path.join(REPO, '.build/journeys-cluster.log'), cluster.output());
    // Processes left behind are startClusterScript.test.ts's concern; stop() kills them anyway.
    await cluster.stop();
  }
  cleanRecordings();
}, 180_000);

describe('scripts/start-cluster.sh', () => {
  it('serves the web client and every signaling process behind HAProxy', async () => {
    expect((await fetch(cluster.url)).status).toBe(200);
    expect(await cluster.backendStates()).toEqual(['UP', 'UP', 'UP']);
  });
});

journeys('scripts/start-cluster.sh, through HAProxy', () => ({ baseUrl: cluster.url, diagnostics: () => cluster.output().slice(-6000) }));
