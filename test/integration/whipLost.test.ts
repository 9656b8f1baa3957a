/**
 * An encoder or a player that vanishes without DELETE (power cut, network gone): the SFU reports
 * its watched transport lost after the grace (HOINGHI_TRANSPORT_LOST_GRACE_MS, short here), and
 * the source leaves the meeting / the playback ends. The encoder is a real WebRTC peer
 * (node-datachannel, harness/whipPeer.ts) in a process of its own, killed with SIGKILL: nothing
 * more on the wire, no DTLS close, no DELETE. A live one, sending, stays on air past the grace.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { MEETING, startServer, tokenFor } from '../../harness/server';
import { eventually } from '../../harness/wait';
import { startWhipPeer, type WhipPeer } from '../../harness/whipPeer';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string): string => fs.readFileSync(path.join(here, '../fixtures/whip', `chromium-${name}.sdp`), 'utf8');
const GRACE_MS = 2_000;

describe('an encoder or a player that vanishes without DELETE', () => {
  let server: HoinghiServer;
  let ingestToken: string;
  const peers: WhipPeer[] = [];

  beforeAll(async () => {
    server = await startServer({ HOINGHI_TRANSPORT_LOST_GRACE_MS: String(GRACE_MS) });
    const host = tokenFor(server, { role: 'host', sub: 'host-1' });
    const res = await fetch(`${server.url}/api/meetings/${MEETING}/ingest-tokens`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${host}` }, body: JSON.stringify({ name: 'Bộ mã hoá' }) });
    ingestToken = ((await res.json()) as { token: string }).token;
  });
  afterAll(async () => {
    for (const p of peers) p.kill();
    await server?.close();
  });

  const published = () => [...(server.sockets.registry.get(MEETING)?.published.values() ?? [])];
  const nothingOnTheSfu = (): void => {
    const stats = server.sfu.stats();
    expect({ transports: stats.transports, producers: stats.producers, consumers: stats.consumers }).toEqual({ transports: 0, producers: 0, consumers: 0 });
  };

  it('a real encoder that is killed (no DELETE) leaves the meeting after the grace; while it sends it stays', async () => {
    const peer = await startWhipPeer(`${server.url}/whip/${MEETING}`, ingestToken);
    peers.push(peer);
    expect(peer.resource).toMatch(new RegExp(`/whip/${MEETING}/[0-9a-f]{32}$`));
    await eventually(() => expect(published().map((p) => p.kind).sort()).toEqual(['audio', 'video']));
    // Alive and sending for three graces: still on air (the watch reads bytes, not a clock alone).
    const audio = published().find((p) => p.kind === 'audio')!;
    await new Promise((r) => setTimeout(r, 3 * GRACE_MS));
    expect(published().map((p) => p.id)).toContain(audio.id);
    expect(server.whip.size).toBe(1);

    peer.kill();
    await eventually(() => expect(published()).toHaveLength(0), { timeoutMs: 30_000 });
    await eventually(() => expect(server.whip.size).toBe(0));
    nothingOnTheSfu();
    // Its resource is gone: a late DELETE finds nothing.
    expect((await fetch(peer.resource, { method: 'DELETE', headers: { authorization: `Bearer ${ingestToken}` } })).status).toBe(404);
  }, 60_000);

  it('an offer answered but never connected: the source is taken off air after the grace', async () => {
    const res = await fetch(`${server.url}/whip/${MEETING}`, { method: 'POST', headers: { 'content-type': 'application/sdp', authorization: `Bearer ${ingestToken}` }, body: fixture('vp8-opus') });
    expect(res.status).toBe(201);
    expect(published()).toHaveLength(2);
    await eventually(() => expect(published()).toHaveLength(0), { timeoutMs: 30_000 });
    await eventually(() => expect(server.whip.size).toBe(0));
    nothingOnTheSfu();
  }, 60_000);

  it('a WHEP player that never connects (or vanishes): its playback ends after the grace, the source stays', async () => {
    const peer = await startWhipPeer(`${server.url}/whip/${MEETING}`, ingestToken);
    peers.push(peer);
    await eventually(() => expect(published()).toHaveLength(2));
    const teacher = tokenFor(server, { role: 'teacher', sub: 'gv-1' });
    const whep = await fetch(`${server.url}/whep/${MEETING}`, { method: 'POST', headers: { 'content-type': 'application/sdp', authorization: `Bearer ${teacher}` }, body: fixture('whep-recvonly') });
    expect(whep.status).toBe(201);
    expect(server.whep.size).toBe(1);
    await eventually(() => expect(server.whep.size).toBe(0), { timeoutMs: 30_000 });
    expect(published()).toHaveLength(2);
    peer.kill();
    await eventually(() => expect(published()).toHaveLength(0), { timeoutMs: 30_000 });
  }, 60_000);
});
