/**
 * The invariants checked after every command: what each participant was told and what each
 * signaling node holds, against the model. Each check returns the differences it finds (empty
 * when all agree); the caller waits, within a bound, for them to vanish, since the server tells
 * clients of changes after it answers (fan-outs and moves run in the background).
 */
import type { HoinghiServer } from '../../../signaling/server';
import {
  MAIN,
  backstageMember,
  hostsSession,
  isHeld,
  sessionOf,
  speakerIn,
  wants,
  type MeetingModel,
  type ProducerModel,
} from './model';
import type { World } from './world';

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();
const same = (a: Iterable<string>, b: Iterable<string>): boolean => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));

function producerId(world: World, p: ProducerModel): string {
  return world.actor(p.actor).producerIds.get(p.source) ?? `?${p.actor}.${p.source}`;
}

/** Names a producer id for messages ("host.mic"). */
function nameOf(world: World, m: MeetingModel, id: string): string {
  const p = m.producers.find((x) => producerId(world, x) === id);
  if (p) return `${p.actor}.${p.source}@${p.session}`;
  for (const a of world.actors.values()) for (const [source, pid] of a.producerIds) if (pid === id) return `${a.spec.id}.${source}(closed)`;
  return id.slice(0, 8);
}

/** Differences between what every client was told and the model. */
export function clientDiffs(world: World, m: MeetingModel): string[] {
  const out: string[] = [];
  const expectedRecordings = sorted(Object.keys(m.recording));
  for (const [id, actor] of world.actors) {
    const session = sessionOf(m, id);
    if (session === null) continue;
    const o = actor.obs;
    const say = (what: string): void => void out.push(`${id}: ${what}`);
    if (o.session?.key !== session) say(`told session ${o.session?.key}, model ${session}`);
    if (o.session && o.session.isSessionHost !== hostsSession(m, id, session)) say(`told isSessionHost ${o.session.isSessionHost}`);
    // Their crew role and whether they are in the backstage.
    const crewRole = m.production.crew[id] ?? null;
    if (o.session && (o.session.crewRole !== crewRole || o.session.backstage !== backstageMember(m, id))) {
      say(`told crewRole ${o.session.crewRole} backstage ${o.session.backstage}, model ${crewRole} ${backstageMember(m, id)}`);
    }
    // The stage as the audience sees it.
    const stage = { backstage: m.production.backstage, live: !m.production.backstage || m.production.live, stage: sorted(m.production.stage) };
    const toldStage = o.stage && { backstage: o.stage.backstage, live: o.stage.live, stage: sorted(o.stage.stage) };
    if (JSON.stringify(toldStage) !== JSON.stringify(stage)) say(`told stage ${JSON.stringify(toldStage)}, model ${JSON.stringify(stage)}`);
    // Consumers: exactly what its session offers.
    const want = m.producers.filter((p) => wants(m, id, p)).map((p) => producerId(world, p));
    const have = [...o.consuming.values()].map((c) => c.producerId);
    if (!same(want, have)) {
      const missing = want.filter((p) => !have.includes(p)).map((p) => nameOf(world, m, p));
      const extra = have.filter((p) => !want.includes(p)).map((p) => nameOf(world, m, p));
      say(`consumes ${missing.length ? `without [${missing.join(', ')}]` : ''}${extra.length ? ` with extra [${extra.join(', ')}]` : ''}`);
    }
    // Breakouts as told.
    const b = o.breakouts;
    if (!b || b.active !== (m.breakouts !== null)) say(`told breakouts active=${b?.active}, model ${m.breakouts !== null}`);
    else if (m.breakouts) {
      const told = { provinces: b.provinces, speakToAll: b.speakToAll, overlay: b.nationalOverlay, endsAt: b.endsAt };
      const model = { provinces: m.breakouts.provinces, speakToAll: m.breakouts.speakToAll, overlay: m.breakouts.overlay, endsAt: m.breakouts.endsAt };
      if (JSON.stringify(told) !== JSON.stringify(model)) say(`told breakouts ${JSON.stringify(told)}, model ${JSON.stringify(model)}`);
    }
    // Own invitation and grant (the hand is read from the store: a raise is answered, not pushed).
    const entry = speakerIn(m, session, id);
    const speak = {
      invitation: entry?.state === 'invited' ? { allowVideo: entry.allowVideo } : null,
      grant: entry?.state === 'speaking' ? { allowVideo: entry.allowVideo, muted: entry.muted } : null,
    };
    const told = o.speak && { invitation: o.speak.invitation, grant: o.speak.grant };
    if (JSON.stringify(told) !== JSON.stringify(speak)) say(`speakState ${JSON.stringify(told)}, model ${JSON.stringify(speak)}`);
    // Who speaks in its session.
    const speaking = Object.entries(m.speakers[session] ?? {}).filter(([, s]) => s.state === 'speaking').map(([u]) => u);
    if (!same(speaking, (o.active ?? []).map((s) => s.userId))) say(`activeSpeakers ${JSON.stringify(o.active?.map((s) => s.userId))}, model ${JSON.stringify(speaking)}`);
    // What a session host sees: the speakers and the hand queue of its session.
    if (hostsSession(m, id, session)) {
      const list = Object.entries(m.speakers[session] ?? {}).map(([u, s]) => `${u}:${s.state}:${s.allowVideo}:${s.muted}`);
      const told = (o.speakers ?? []).map((s) => `${s.userId}:${s.state}:${s.allowVideo}:${s.muted}`);
      if (!same(list, told)) say(`speakersChanged ${JSON.stringify(sorted(told))}, model ${JSON.stringify(sorted(list))}`);
      const hands = m.hands[session] ?? [];
      const head = (o.hands?.head ?? []).map((h) => h.userId);
      if (o.hands?.total !== hands.length || JSON.stringify(head) !== JSON.stringify(hands)) {
        say(`hand queue ${JSON.stringify(head)} (total ${o.hands?.total}), model ${JSON.stringify(hands)}`);
      }
    }
    const recordings = sorted((o.recordings ?? []).map((r) => r.sessionKey));
    if (JSON.stringify(recordings) !== JSON.stringify(expectedRecordings)) say(`recordings ${JSON.stringify(recordings)}, model ${JSON.stringify(expectedRecordings)}`);
  }
  return out;
}

/** Differences between what the signaling nodes hold and the model. */
export async function serverDiffs(world: World, m: MeetingModel): Promise<string[]> {
  const out: string[] = [];
  const published = sorted(m.producers.map((p) => producerId(world, p)));
  for (const [i, node] of world.nodes.entries()) {
    const meeting = node.sockets.registry.get(world.meetingId);
    if (!meeting) continue;
    const there = sorted(meeting.published.keys());
    if (JSON.stringify(there) !== JSON.stringify(published)) {
      out.push(`node ${i}: published [${there.map((p) => nameOf(world, m, p)).join(', ')}], model [${published.map((p) => nameOf(world, m, p)).join(', ')}]`);
    }
    if ((meeting.breakouts !== null) !== (m.breakouts !== null)) out.push(`node ${i}: breakouts ${meeting.breakouts !== null}`);
  }
  if (m.ended) {
    for (const [i, node] of world.nodes.entries()) {
      if (node.sockets.registry.get(world.meetingId)) out.push(`node ${i}: still holds the ended meeting`);
      if (node.recordings.active(world.meetingId).length > 0) out.push(`node ${i}: still records the ended meeting`);
    }
  }
  const state = world.nodes[0]!.store.meeting(world.meetingId);
  for (const [id, actor] of world.actors) {
    const session = sessionOf(m, id);
    const say = (what: string): void => void out.push(`${id} (node ${actor.spec.node}): ${what}`);
    const roster = await state.participant(id);
    if (session === null) {
      if (roster) say(`still in the roster (${roster.sessionKey}) after leaving`);
      continue;
    }
    if (roster?.sessionKey !== session) say(`roster says ${roster?.sessionKey ?? 'absent'}, model ${session}`);
    const hand = await state.handRaised(session, id);
    if (hand !== (m.hands[session]?.includes(id) ?? false)) say(`hand ${hand ? 'raised' : 'down'} in ${session}, model ${hand ? 'down' : 'raised'}`);
    const node: HoinghiServer = actor.server;
    const meeting = node.sockets.registry.get(world.meetingId);
    const peer = meeting?.peers.get(id);
    if (!meeting || !peer) {
      say('not a peer of its node');
      continue;
    }
    if (peer.sessionKey !== session) say(`peer in ${peer.sessionKey}, model ${session}`);
    // In exactly one session's rooms, and its hosts' room only when hosting it.
    const socket = node.sockets.io.sockets.sockets.get(peer.socketId);
    const prefix = `m:${world.meetingId}:s:`;
    const rooms = [...(socket?.rooms ?? [])].filter((r) => r.startsWith(prefix));
    const want = [`${prefix}${session}`, ...(hostsSession(m, id, session) ? [`${prefix}${session}:hosts`] : [])];
    if (!same(rooms, want)) say(`socket rooms ${JSON.stringify(sorted(rooms))}, model ${JSON.stringify(sorted(want))}`);
    // The national sound held in breakouts (unless speaking to all, or shown as fallback).
    const held = sorted([...peer.held].map((c) => peer.consumers.get(c) ?? `?${c}`));
    const heldWant = sorted(m.producers.filter((p) => wants(m, id, p) && isHeld(m, id, p)).map((p) => producerId(world, p)));
    if (JSON.stringify(held) !== JSON.stringify(heldWant)) {
      say(`holds [${held.map((p) => nameOf(world, m, p)).join(', ')}], model [${heldWant.map((p) => nameOf(world, m, p)).join(', ')}]`);
    }
    // And on the SFU: a kept consumer is paused exactly when held (the client resumes the rest).
    for (const [consumerId, producer] of peer.consumers) {
      const stats = await node.sfu.consumerStats(consumerId).catch(() => null);
      if (stats && stats.paused !== peer.held.has(consumerId)) {
        say(`${nameOf(world, m, producer)} ${stats.paused ? 'paused' : 'playing'} on the SFU, ${peer.held.has(consumerId) ? 'held' : 'not held'}`);
      }
    }
    const sending = sorted([...peer.producers.keys()]);
    const sendingWant = sorted(m.producers.filter((p) => p.actor === id).map((p) => producerId(world, p)));
    if (JSON.stringify(sending) !== JSON.stringify(sendingWant)) {
      say(`publishes [${sending.map((p) => nameOf(world, m, p)).join(', ')}], model [${sendingWant.map((p) => nameOf(world, m, p)).join(', ')}]`);
    }
  }
  if (m.breakouts === null) {
    const stale = Object.keys(m.speakers).filter((s) => s !== MAIN && Object.keys(m.speakers[s]!).length > 0);
    if (stale.length > 0) out.push(`model keeps breakout speakers after recall: ${stale.join(', ')}`);
  }
  return out;
}

/**
 * Serial-queue tasks of every node that stalled past the watchdog's bound, or that waited on
 * their own queue (refused with SelfWaitError): each is a meeting that would have frozen.
 */
export function queueStalls(world: World): number {
  let total = 0;
  for (const node of world.nodes) total += node.queueWatch.totalStalls + node.queueWatch.totalSelfWaits;
  return total;
}
