/**
 * The produced broadcast over real sockets (meeting/production.ts, productionFlow.ts,
 * stageFollow.ts): backstage, the stage, going live after a countdown, the crew's rights, the
 * interpreter's picture, and refusals that change nothing. Run on one node and on two signaling
 * nodes sharing Redis (the participants spread over both), so that each rule holds where the
 * producer and the audience are connected through different nodes.
 */
import { describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import type { ClaimsInput } from '../../signaling/auth/tokens';
import type { ConsumerInfo, ProductionView, SessionInfo, StageView } from '../../signaling/protocol/events';
import { MEETING, call, connectClient, request, tokenFor, type TestSocket } from '../../harness/server';
import { audioRtpParameters, dtlsParameters, videoRtpParameters } from '../../harness/media';
import { until } from '../../harness/wait';
import { collect, joinAsViewer } from './flows';
import { NO_PRODUCTION } from '../../signaling/store/types';
import { meetingSources } from '../../signaling/recording/recordingFlow';

export interface StageWorld {
  /** The nodes, in order; participants are spread over them by index. */
  nodes: HoinghiServer[];
  /** Sockets to close after each test. */
  open: TestSocket[];
}

interface Member {
  socket: TestSocket;
  userId: string;
  consumers: Map<string, ConsumerInfo>;
  stages: StageView[];
  productions: ProductionView[];
  sessions: SessionInfo[];
}

let serial = 0;

async function joinAs(world: StageWorld, node: number, claims: Partial<ClaimsInput>): Promise<Member> {
  const server = world.nodes[node % world.nodes.length]!;
  const sub = `${claims.role ?? 'teacher'}-${++serial}-${Date.now().toString(36)}`;
  const socket = await connectClient(server, tokenFor(server, { role: 'teacher', province: '01', sub, ...claims }));
  world.open.push(socket);
  const consumers = new Map<string, ConsumerInfo>();
  const stages = collect<StageView>(socket, 'stage');
  const productions = collect<ProductionView>(socket, 'production');
  const sessions = collect<SessionInfo>(socket, 'sessionChanged');
  socket.on('newConsumer', (c: ConsumerInfo) => {
    consumers.set(c.id, c);
    void request(socket, 'resumeConsumer', { consumerId: c.id });
  });
  socket.on('consumerClosed', ({ consumerId }: { consumerId: string }) => consumers.delete(consumerId));
  const viewer = await joinAsViewer(server, {}, socket);
  for (const c of viewer.consumers) consumers.set(c.id, c);
  return { socket, userId: sub, consumers, stages, productions, sessions };
}

async function publish(m: Member, sources: ('camera' | 'mic' | 'screen')[]): Promise<Record<string, string>> {
  const t = await call(m.socket, 'createTransport', { direction: 'send' });
  await call(m.socket, 'connectTransport', { transportId: t.id, dtlsParameters });
  const out: Record<string, string> = {};
  for (const source of sources) {
    const kind = source === 'mic' ? 'audio' : 'video';
    const rtpParameters = kind === 'audio' ? audioRtpParameters(String(sources.indexOf(source))) : videoRtpParameters(String(sources.indexOf(source)));
    out[source] = (await call(m.socket, 'produce', { transportId: t.id, kind, source, rtpParameters })).producerId;
  }
  return out;
}

/** The producers a member consumes now, from one publisher. */
function from(m: Member, peerId: string): string[] {
  return [...m.consumers.values()].filter((c) => c.peerId === peerId).map((c) => c.source).sort();
}

/** The sources a recording of the main session takes now (every node agrees). */
function recorded(world: StageWorld): string[] {
  const seen = world.nodes.map((n) => (meetingSources((id) => n.sockets.registry.get(id)).streams(MEETING, 'main') ?? []).map((s) => s.source).sort().join());
  expect(new Set(seen).size).toBe(1);
  return seen[0] ? seen[0].split(',') : [];
}

/** The recorded streams as `source:role@order`, and the layout, as every node sees them (they agree). */
function recordedPlan(world: StageWorld): { streams: string[]; layout: string } {
  const seen = world.nodes.map((n) => {
    const sources = meetingSources((id) => n.sockets.registry.get(id));
    const streams = (sources.streams(MEETING, 'main') ?? []).map((s) => `${s.source}:${s.role ?? '-'}@${s.order ?? '-'}`).sort();
    return JSON.stringify({ streams, layout: sources.layout?.(MEETING, 'main') });
  });
  expect(new Set(seen).size).toBe(1);
  return JSON.parse(seen[0]!) as { streams: string[]; layout: string };
}

/** The meeting as the last test left it, made new: nothing published, no crew, no backstage. */
async function fresh(world: StageWorld, host: Member): Promise<void> {
  for (const n of world.nodes) {
    await until(() => [...(n.sockets.registry.get(MEETING)?.published.values() ?? [])].every((p) => p.peerId === host.userId), {
      what: "the last test's sources gone",
    });
  }
  const state = world.nodes[0]!.sockets.registry.get(MEETING)!.state;
  const current = await state.production();
  if (current.version > 0) await state.setProduction(current.version, { ...NO_PRODUCTION, crew: {}, stage: [] });
  await settle(world);
}

async function settle(world: StageWorld): Promise<void> {
  for (const n of world.nodes) {
    const meeting = n.sockets.registry.get(MEETING);
    if (meeting) await meeting.stageSettled();
  }
}

export function stageSuite(name: string, setup: () => StageWorld): void {
  describe(name, () => {
    it('keeps presenters backstage until the producer puts them on a live stage, and takes them off again', async () => {
      const world = setup();
      const host = await joinAs(world, 0, { role: 'host' });
      await fresh(world, host);
      const teacher = await joinAs(world, 1, {});
      const presenter = await joinAs(world, 1, {});
      await call(host.socket, 'updateStage', { type: 'backstage', on: true });
      await until(() => teacher.stages.at(-1)?.backstage === true, { what: 'the teacher hears backstage is on' });
      expect(teacher.stages.at(-1)).toMatchObject({ backstage: true, live: false });

      const named = await call(host.socket, 'setCrew', { userId: presenter.userId, role: 'presenter' });
      expect(named.crew[presenter.userId]).toEqual({ role: 'presenter', name: expect.any(String) });
      await until(() => presenter.sessions.at(-1)?.crewRole === 'presenter', { what: 'the presenter told their role' });
      expect(presenter.sessions.at(-1)).toMatchObject({ canSend: true, backstage: true });

      await publish(host, ['camera', 'mic']);
      await publish(presenter, ['camera', 'mic', 'screen']);
      // The backstage sees and hears each other; the audience sees nothing yet.
      await until(() => presenter.consumers.size === 2 && from(host, presenter.userId).length === 3, { what: 'the backstage sees each other' });
      await settle(world);
      expect(teacher.consumers.size).toBe(0);
      // Recordings and the HLS fallback take what is on air: nothing yet.
      expect(recorded(world)).toEqual([]);

      // On the stage but not live: still nothing.
      await call(host.socket, 'updateStage', { type: 'put', key: host.userId, on: true });
      await settle(world);
      expect(teacher.consumers.size).toBe(0);

      // Live after a countdown: the host's camera and microphone reach the teacher, the presenter's do not.
      const live = await call(host.socket, 'updateStage', { type: 'goLive', inS: 1 });
      expect(live.liveAt).toBeGreaterThan(live.serverNow);
      await until(() => teacher.stages.some((s) => s.liveAt !== null && !s.live), { what: 'the countdown announced' });
      await until(() => from(teacher, host.userId).join() === 'camera,mic', { timeoutMs: 10_000, what: 'the host on air after the countdown' });
      expect(from(teacher, presenter.userId)).toEqual([]);
      expect(recorded(world)).toEqual(['camera', 'mic']);
      expect(recordedPlan(world)).toEqual({ streams: ['camera:stage@0', 'mic:stage@0'], layout: 'single' });

      // The presenter's screen joins the stage; then the host leaves it.
      await call(host.socket, 'updateStage', { type: 'put', key: `${presenter.userId}#screen`, on: true });
      await until(() => from(teacher, presenter.userId).join() === 'screen', { what: "the presenter's screen on air" });
      await call(host.socket, 'updateStage', { type: 'put', key: host.userId, on: false });
      await until(() => from(teacher, host.userId).length === 0, { what: 'the host off the stage' });
      expect(from(teacher, presenter.userId)).toEqual(['screen']);

      // Back to the slate: nothing on air; the backstage still sees everyone.
      await call(host.socket, 'updateStage', { type: 'endLive' });
      await until(() => teacher.consumers.size === 0, { what: 'off air' });
      await until(() => teacher.stages.at(-1)?.live === false, { what: 'the slate announced' });
      expect(from(presenter, host.userId)).toEqual(['camera', 'mic']);
      // Every presenter hears every change.
      await until(() => presenter.productions.at(-1)?.liveAt === null && presenter.productions.at(-1)?.stage.join() === `${presenter.userId}#screen`, {
        what: 'the presenter told the stage is off air',
      });
    }, 60_000);

    it('lets a producer run the stage but not name producers, and refuses the audience', async () => {
      const world = setup();
      const host = await joinAs(world, 0, { role: 'host' });
      await fresh(world, host);
      const producer = await joinAs(world, 1, {});
      const teacher = await joinAs(world, 0, {});
      await call(host.socket, 'setCrew', { userId: producer.userId, role: 'producer' });
      await call(producer.socket, 'updateStage', { type: 'backstage', on: true });
      await call(producer.socket, 'updateStage', { type: 'layout', layout: 'sideBySide' });
      const before = await call(producer.socket, 'updateStage', { type: 'layout', layout: 'pip' });

      const refusals = [
        await request(teacher.socket, 'updateStage', { type: 'goLive', inS: 0 }),
        await request(teacher.socket, 'setCrew', { userId: teacher.userId, role: 'producer' }),
        await request(producer.socket, 'setCrew', { userId: teacher.userId, role: 'producer' }),
        await request(producer.socket, 'setCrew', { userId: producer.userId, role: null }),
        await request(producer.socket, 'updateStage', { type: 'put', key: 'nobody', on: true }),
        await request(producer.socket, 'updateStage', { type: 'goLive', inS: 100_000 }),
        await request(producer.socket, 'updateStage', { type: 'layout', layout: 'mosaic' }),
        await request(producer.socket, 'updateStage', { type: 'endLive' }),
        await request(teacher.socket, 'setCrew', { userId: 'x'.repeat(65), role: 'presenter' }),
      ];
      expect(refusals.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
        'forbidden', 'forbidden', 'forbidden', 'forbidden', 'conflict', 'bad_request', 'bad_request', 'conflict', 'bad_request',
      ]);
      // Nothing changed.
      const meeting = world.nodes[0]!.sockets.registry.get(MEETING)!;
      expect((await meeting.state.production()).version).toBe(before.version);
      // A teacher cannot publish into the backstage.
      const t = await request(teacher.socket, 'createTransport', { direction: 'send' });
      expect(t.ok ? 'ok' : t.error.code).toBe('forbidden');
    }, 60_000);

    it("gives the interpreter's picture to those who turn it on, only while live, and a picture only", async () => {
      const world = setup();
      const host = await joinAs(world, 0, { role: 'host' });
      await fresh(world, host);
      const interpreter = await joinAs(world, 1, {});
      const wants = await joinAs(world, 0, {});
      const without = await joinAs(world, 1, {});
      await call(host.socket, 'updateStage', { type: 'backstage', on: true });
      await call(host.socket, 'setCrew', { userId: interpreter.userId, role: 'interpreter' });
      await until(() => interpreter.sessions.at(-1)?.crewRole === 'interpreter', { what: 'the interpreter told' });
      const t = await call(interpreter.socket, 'createTransport', { direction: 'send' });
      await call(interpreter.socket, 'connectTransport', { transportId: t.id, dtlsParameters });
      const mic = await request(interpreter.socket, 'produce', { transportId: t.id, kind: 'audio', source: 'mic', rtpParameters: audioRtpParameters() });
      expect(mic.ok ? 'ok' : mic.error.code).toBe('forbidden');
      await call(interpreter.socket, 'produce', { transportId: t.id, kind: 'video', source: 'camera', rtpParameters: videoRtpParameters() });
      await call(wants.socket, 'setInterpreterView', { on: true });
      await until(() => from(host, interpreter.userId).length === 1, { what: 'the backstage sees the interpreter' });
      await settle(world);
      expect(from(wants, interpreter.userId)).toEqual([]);

      expect(recordedPlan(world).streams).toEqual([]);
      await call(host.socket, 'updateStage', { type: 'layout', layout: 'sideBySide' });
      await call(host.socket, 'updateStage', { type: 'goLive', inS: 0 });
      await until(() => from(wants, interpreter.userId).join() === 'camera', { what: 'the interpreter on air for who asked' });
      await settle(world);
      // Recordings and the HLS fallback draw the interpreter's picture (an inset) while live.
      expect(recordedPlan(world)).toEqual({ streams: ['camera:interpreter@-'], layout: 'sideBySide' });
      expect(from(without, interpreter.userId)).toEqual([]);
      await call(wants.socket, 'setInterpreterView', { on: false });
      await until(() => from(wants, interpreter.userId).length === 0, { what: 'the interpreter turned off' });

      // Removed from the crew: their picture stops, for the backstage too.
      await call(host.socket, 'setCrew', { userId: interpreter.userId, role: null });
      await until(() => from(host, interpreter.userId).length === 0, { what: 'the former interpreter stops sending' });
      await until(() => interpreter.sessions.at(-1)?.crewRole === null, { what: 'the former interpreter told' });
      expect(interpreter.sessions.at(-1)).toMatchObject({ canSend: false, backstage: false });
    }, 60_000);

    it('keeps the crew in main during breakouts, and brings back one named during them', async () => {
      const world = setup();
      const host = await joinAs(world, 0, { role: 'host' });
      await fresh(world, host);
      const captioner = await joinAs(world, 1, { province: '01' });
      const later = await joinAs(world, 0, { province: '01' });
      const teacher = await joinAs(world, 1, { province: '01' });
      await call(host.socket, 'setCrew', { userId: captioner.userId, role: 'captioner' });
      await call(host.socket, 'startBreakouts', { provinces: ['01'] });
      try {
        await until(() => teacher.sessions.at(-1)?.key === '01' && later.sessions.at(-1)?.key === '01', { what: 'teachers in their breakout' });
        await settle(world);
        expect(captioner.sessions.at(-1)).toMatchObject({ key: 'main', crewRole: 'captioner', canSend: false, backstage: false });
        await call(host.socket, 'setCrew', { userId: later.userId, role: 'presenter' });
        await until(() => later.sessions.at(-1)?.key === 'main' && later.sessions.at(-1)?.backstage === true, { what: 'the new presenter back in main' });
      } finally {
        await call(host.socket, 'endBreakouts', {});
      }
    }, 60_000);

    it('turning backstage on keeps what is on air on air, and off puts every presenter on air', async () => {
      const world = setup();
      const host = await joinAs(world, 0, { role: 'host' });
      await fresh(world, host);
      const second = await joinAs(world, 1, { role: 'host' });
      const teacher = await joinAs(world, 1, {});
      await publish(host, ['camera', 'mic']);
      await until(() => from(teacher, host.userId).length === 2, { what: 'the host on air (no backstage)' });
      const on = await call(host.socket, 'updateStage', { type: 'backstage', on: true });
      expect(on.stage).toEqual([host.userId]);
      expect(on.liveAt).not.toBeNull();
      await publish(second, ['camera']);
      await until(() => from(host, second.userId).length === 1, { what: 'the second host seen backstage' });
      await settle(world);
      expect(from(teacher, host.userId)).toEqual(['camera', 'mic']);
      expect(from(teacher, second.userId)).toEqual([]);
      await call(second.socket, 'updateStage', { type: 'backstage', on: false });
      await until(() => from(teacher, second.userId).length === 1, { what: 'every presenter on air without backstage' });
    }, 60_000);
  });
}
