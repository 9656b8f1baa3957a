/**
 * Clips played from the server (signaling/clips/) over real sockets, real ffmpeg and real
 * mediasoup: a clip generated here is played into the backstage, the backstage is offered it, the
 * SFU forwards its RTP (a plain-RTP consumer, as a recorder's, receives the packets at a UDP
 * socket of the test), the stage decides whether a teacher gets it, and stopping it leaves
 * nothing behind. Run on one node (in-process SFU) and over an SFU node process (cluster).
 */
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import type { ClaimsInput } from '../../signaling/auth/tokens';
import type { ConsumerInfo } from '../../signaling/protocol/events';
import { MEETING, call, connectClient, request, tokenFor, type TestSocket } from '../../harness/server';
import { until } from '../../harness/wait';
import { joinAsViewer } from './flows';

export interface ClipWorld {
  server: HoinghiServer;
  /** Sockets to close after each test. */
  open: TestSocket[];
}

/** The clips folder a suite's server reads (HOINGHI_CLIPS_DIR), with a 30 s and a 1 s test clip in it. */
export function makeClipsDir(root: string): string {
  const dir = path.join(root, 'clips');
  fs.mkdirSync(dir, { recursive: true });
  const make = (name: string, seconds: number) =>
    execFileSync('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=15',
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest',
      path.join(dir, name),
    ]);
  make('Giới_thiệu.mp4', 30);
  make('short.mp4', 1);
  return dir;
}

let serial = 0;

interface Member {
  socket: TestSocket;
  userId: string;
  consumers: Map<string, ConsumerInfo>;
}

async function joinAs(world: ClipWorld, claims: Partial<ClaimsInput>): Promise<Member> {
  const sub = `${claims.role ?? 'teacher'}-clip-${++serial}-${Date.now().toString(36)}`;
  const socket = await connectClient(world.server, tokenFor(world.server, { role: 'teacher', province: '01', sub, ...claims }));
  world.open.push(socket);
  const consumers = new Map<string, ConsumerInfo>();
  socket.on('newConsumer', (c: ConsumerInfo) => {
    consumers.set(c.id, c);
    void request(socket, 'resumeConsumer', { consumerId: c.id });
  });
  socket.on('consumerClosed', ({ consumerId }: { consumerId: string }) => consumers.delete(consumerId));
  const viewer = await joinAsViewer(world.server, {}, socket);
  for (const c of viewer.consumers) consumers.set(c.id, c);
  return { socket, userId: sub, consumers };
}

const from = (m: Member, peerId: string): string[] => [...m.consumers.values()].filter((c) => c.peerId === peerId).map((c) => c.source).sort();

const meetingOf = (world: ClipWorld) => world.server.sockets.registry.get(MEETING)!;

const clipProducers = (world: ClipWorld) => [...meetingOf(world).published.values()].filter((p) => p.peerId.startsWith('clip:'));

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * RTP packets of a producer that the SFU sends a plain-RTP consumer (a recorder tap) at a UDP
 * socket of the test: only media packets of the tap's own SSRC count (not the SFU's probation
 * packets, which it sends whatever comes in).
 */
async function forwarded(world: ClipWorld, producerId: string): Promise<number> {
  const rtp = dgram.createSocket('udp4');
  const rtcp = dgram.createSocket('udp4');
  let ssrc = -1;
  let packets = 0;
  rtp.on('message', (msg: Buffer) => {
    if (msg.length > 12 && msg.readUInt32BE(8) === ssrc) packets += 1;
  });
  await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => rtcp.bind(0, '127.0.0.1', r));
  const tap = await world.server.sfu.createRecorderTap(producerId, { ip: '127.0.0.1', port: rtp.address().port, rtcpPort: rtcp.address().port });
  ssrc = tap.rtpParameters.encodings![0]!.ssrc!;
  try {
    await world.server.sfu.resumeRecorderTap(tap.id);
    await until(() => packets >= 20, { what: "the clip's RTP forwarded by the SFU" });
    return packets;
  } finally {
    await world.server.sfu.closeRecorderTap(tap.id);
    rtp.close();
    rtcp.close();
  }
}

async function settle(world: ClipWorld): Promise<void> {
  await meetingOf(world).stageSettled();
}

async function freshStage(world: ClipWorld): Promise<void> {
  await world.server.clips.stop(MEETING);
  const state = meetingOf(world).state;
  const current = await state.production();
  if (current.backstage || current.stage.length > 0) await state.setProduction(current.version, { ...current, backstage: false, liveAt: null, stage: [] });
  await settle(world);
}

/** The tests; `full: false` runs the first one only, without the stage's part (the cluster run). */
export function clipTests(setup: () => ClipWorld, options: { full: boolean }): void {
  it('plays a clip into the backstage, puts it on air only from a live stage, and stops it leaving nothing', async () => {
    const world = setup();
    const host = await joinAs(world, { role: 'host' });
    await freshStage(world);
    const teacher = await joinAs(world, {});
    await call(host.socket, 'updateStage', { type: 'backstage', on: true });

    const listed = await call(host.socket, 'listClips', {});
    expect(listed.playing).toBeNull();
    const clip = listed.clips.find((c) => c.name === 'Giới_thiệu.mp4');
    expect(clip).toMatchObject({ title: 'Giới thiệu' });
    expect(clip!.durationS).toBeGreaterThan(25);

    const playing = await call(host.socket, 'playClip', { name: 'Giới_thiệu.mp4' });
    expect(playing).toMatchObject({ name: 'Giới_thiệu.mp4', title: 'Giới thiệu', key: expect.stringMatching(/^clip:[0-9a-f]{12}$/) });
    const key = playing.key;
    // The backstage is offered the clip as a presenter's camera and microphone.
    await until(() => from(host, key).join() === 'camera,mic', { what: 'the host offered the clip' });
    expect([...host.consumers.values()].find((c) => c.peerId === key)?.peerName).toBe('Giới thiệu');
    expect(clipProducers(world).map((p) => ({ source: p.source, stage: p.stage, sessionKey: p.sessionKey, roomId: p.roomId }))).toEqual(
      expect.arrayContaining([
        { source: 'camera', stage: 'presenter', sessionKey: 'main', roomId: MEETING },
        { source: 'mic', stage: 'presenter', sessionKey: 'main', roomId: MEETING },
      ]),
    );
    // ffmpeg's RTP reaches the SFU and is forwarded, video and audio.
    const video = clipProducers(world).find((p) => p.kind === 'video')!;
    const audio = clipProducers(world).find((p) => p.kind === 'audio')!;
    expect(await forwarded(world, video.id)).toBeGreaterThanOrEqual(20);
    expect(await forwarded(world, audio.id)).toBeGreaterThanOrEqual(20);
    // Backstage only: the teacher has nothing of it.
    await settle(world);
    expect(from(teacher, key)).toEqual([]);

    if (options.full) {
      // On a live stage: the teacher receives it; off the stage: no more.
      await call(host.socket, 'updateStage', { type: 'put', key, on: true });
      await call(host.socket, 'updateStage', { type: 'goLive', inS: 0 });
      await until(() => from(teacher, key).join() === 'camera,mic', { what: 'the teacher gets the clip on air' });
      await call(host.socket, 'updateStage', { type: 'put', key, on: false });
      await until(() => from(teacher, key).length === 0, { what: 'the clip off the stage' });
    }

    const pid = world.server.clips.pid(MEETING);
    expect(alive(pid)).toBe(true);
    expect((await call(host.socket, 'listClips', {})).playing?.key).toBe(key);
    expect(await call(host.socket, 'stopClip', {})).toEqual({ stopped: true });
    expect(clipProducers(world)).toEqual([]);
    expect(alive(pid)).toBe(false);
    await until(() => from(host, key).length === 0, { what: "the host's consumers of the clip closed" });
    expect(await call(host.socket, 'stopClip', {})).toEqual({ stopped: false });
  }, 60_000);

  if (!options.full) return;

  it('refuses teachers, bad names and missing files, starting nothing', async () => {
    const world = setup();
    const host = await joinAs(world, { role: 'host' });
    await freshStage(world);
    const teacher = await joinAs(world, {});
    const dir = world.server.clips.library.dir;
    fs.writeFileSync(path.join(dir, 'broken.mp4'), 'not a video');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a clip');
    fs.symlinkSync(path.join(dir, 'short.mp4'), path.join(dir, 'link.mp4'));
    try {
      const transportsBefore = world.server.sfu.stats().transports;
      const listed = await call(host.socket, 'listClips', {});
      expect(listed.clips.map((c) => c.name)).toEqual(['Giới_thiệu.mp4', 'short.mp4']);
      const code = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? 'ok' : r.error!.code);
      const refusals = [
        await request(teacher.socket, 'listClips', {}),
        await request(teacher.socket, 'playClip', { name: 'short.mp4' }),
        await request(teacher.socket, 'stopClip', {}),
        await request(host.socket, 'playClip', { name: '../short.mp4' }),
        await request(host.socket, 'playClip', { name: '/etc/passwd' }),
        await request(host.socket, 'playClip', { name: 'notes.txt' }),
        await request(host.socket, 'playClip', { name: 'x'.repeat(200) + '.mp4' }),
        await request(host.socket, 'playClip', {}),
        await request(host.socket, 'playClip', { name: 'missing.mp4' }),
        await request(host.socket, 'playClip', { name: 'broken.mp4' }),
        await request(host.socket, 'playClip', { name: 'link.mp4' }),
      ];
      expect(refusals.map(code)).toEqual([
        'forbidden', 'forbidden', 'forbidden', 'bad_request', 'bad_request', 'bad_request', 'bad_request', 'bad_request', 'not_found', 'not_found', 'not_found',
      ]);
      expect(world.server.clips.playing(MEETING)).toBeNull();
      expect(clipProducers(world)).toEqual([]);
      expect(world.server.sfu.stats().transports).toBe(transportsBefore);
    } finally {
      for (const f of ['broken.mp4', 'notes.txt', 'link.mp4']) fs.rmSync(path.join(dir, f), { force: true });
    }
  }, 60_000);

  it('replaces the clip when played again, and takes a clip that ends off the meeting', async () => {
    const world = setup();
    const host = await joinAs(world, { role: 'host' });
    await freshStage(world);
    const first = await call(host.socket, 'playClip', { name: 'Giới_thiệu.mp4' });
    const firstPid = world.server.clips.pid(MEETING);
    const firstIds = clipProducers(world).map((p) => p.id);
    await until(() => clipProducers(world).length === 2, { what: 'the clip published' });
    const again = await call(host.socket, 'playClip', { name: 'Giới_thiệu.mp4' });
    // The same stage key (it keeps its place on the stage), new producers, the old ffmpeg gone.
    expect(again.key).toBe(first.key);
    expect(alive(firstPid)).toBe(false);
    const ids = clipProducers(world).map((p) => p.id);
    expect(ids).toHaveLength(2);
    expect(ids.some((id) => firstIds.includes(id))).toBe(false);

    const ended = world.server.clips.ends.ended;
    await call(host.socket, 'playClip', { name: 'short.mp4' });
    await until(() => world.server.clips.ends.ended === ended + 1, { what: 'the 1 s clip ends by itself' });
    expect(world.server.clips.playing(MEETING)).toBeNull();
    await until(() => clipProducers(world).length === 0, { what: "the ended clip's producers gone" });
  }, 60_000);
}
