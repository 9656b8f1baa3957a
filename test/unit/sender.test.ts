/**
 * The page's sending side (web/src/client/sender.ts) keeps one producer per source, whatever
 * order the clicks and the transport arrive in. Found from outside (the cluster journey in CI):
 * the minister turned the microphone on while the send transport of a (re)join was republishing
 * the camera; the republish loop then met the new microphone too and produced it a second time,
 * the server answered "already publishing mic", and the whole join failed and started again.
 *
 * The transport, the connection and the capture are fakes that record what reaches the server;
 * the produce answers are held until the test lets them go, to make each interleaving happen.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Device } from 'mediasoup-client';
import { Sender } from '../../web/src/client/sender';
import type { Connection } from '../../web/src/client/connection';

type Listener = (...args: never[]) => void;

class FakeTrack {
  readyState: 'live' | 'ended' = 'live';
  constructor(readonly kind: 'audio' | 'video') {}
  addEventListener(): void {}
  stop(): void {
    this.readyState = 'ended';
  }
}

/** A held produce answer the test releases. */
interface Held {
  source: string;
  release: () => void;
}

class World {
  /** What reached the server, in order. */
  readonly requests: Array<{ event: string; payload: Record<string, unknown> }> = [];
  readonly held: Held[] = [];
  #next = 0;
  /** Producers alive on the "server", by source: a second one is the server's conflict. */
  readonly serverProducers = new Map<string, string>();

  conn(): Connection {
    return {
      request: async (event: string, payload: Record<string, unknown>) => {
        this.requests.push({ event, payload });
        if (event === 'createTransport') return { id: `t${++this.#next}`, iceParameters: {}, iceCandidates: [], dtlsParameters: {} };
        if (event === 'produce') {
          const source = String(payload.source);
          if (this.serverProducers.has(source)) throw Object.assign(new Error(`already publishing ${source}; close it first`), { code: 'conflict' });
          const id = `p${++this.#next}`;
          this.serverProducers.set(source, id);
          await new Promise<void>((release) => this.held.push({ source, release }));
          return { producerId: id };
        }
        if (event === 'closeProducer') {
          for (const [s, id] of this.serverProducers) if (id === payload.producerId) this.serverProducers.delete(s);
          return {};
        }
        return {};
      },
    } as unknown as Connection;
  }

  device(): Device {
    return {
      createSendTransport: () => {
        const listeners = new Map<string, Listener>();
        const transport = {
          id: `send${++this.#next}`,
          closed: false,
          on: (name: string, fn: Listener) => listeners.set(name, fn),
          close: () => {
            transport.closed = true;
          },
          produce: ({ track, appData }: { track: FakeTrack; appData: { source: string } }) =>
            new Promise((resolve, reject) => {
              (listeners.get('produce') as unknown as (p: unknown, cb: (r: { id: string }) => void, eb: (e: Error) => void) => void)(
                { kind: track.kind, rtpParameters: { codecs: [], encodings: [] }, appData },
                ({ id }) => {
                  const producer = { id, closed: false, close: () => void (producer.closed = true), rtpSender: undefined };
                  resolve(producer);
                },
                reject,
              );
            }),
        };
        return transport;
      },
    } as unknown as Device;
  }

  /** Waits until `n` produce answers are being held. */
  async heldCount(n: number): Promise<void> {
    for (let i = 0; i < 200 && this.held.length < n; i++) await new Promise((r) => setTimeout(r, 1));
    expect(this.held.length).toBeGreaterThanOrEqual(n);
  }

  produced(): string[] {
    return this.requests.filter((r) => r.event === 'produce').map((r) => String(r.payload.source));
  }
}

let world: World;

beforeEach(() => {
  world = new World();
  Object.defineProperty(globalThis, 'navigator', {
    configurable: true,
    value: {
      mediaDevices: {
        getUserMedia: async (c: { audio?: unknown; video?: unknown }) => {
          const track = new FakeTrack(c.audio ? 'audio' : 'video');
          return { getVideoTracks: () => (c.video ? [track] : []), getAudioTracks: () => (c.audio ? [track] : []) };
        },
      },
    },
  });
});

describe('one producer per source', () => {
  it('a microphone turned on while a rejoin republishes the camera is produced once', async () => {
    const sender = new Sender(world.conn(), () => undefined);
    await sender.start('camera');
    const setUp = sender.setUp(world.device());
    await world.heldCount(1); // the camera's republish is on its way to the server
    await Promise.race([sender.start('mic'), new Promise((r) => setTimeout(r, 20))]);
    for (let i = 0; i < 5; i++) {
      for (const h of world.held.splice(0)) h.release();
      await new Promise((r) => setTimeout(r, 5));
    }
    await setUp; // before the fix: rejected with "already publishing mic"
    expect(world.produced().sort()).toEqual(['camera', 'mic']);
    sender.stopOnAirWatch();
  });

  it('two clicks on a source before its capture opens open it once', async () => {
    const sender = new Sender(world.conn(), () => undefined);
    await sender.setUp(world.device());
    const both = Promise.all([sender.start('mic'), sender.start('mic')]);
    await world.heldCount(1);
    for (const h of world.held.splice(0)) h.release();
    await both;
    expect(world.produced()).toEqual(['mic']);
    sender.stopOnAirWatch();
  });

  it('a source stopped while its producer was being made does not stay on the server', async () => {
    const sender = new Sender(world.conn(), () => undefined);
    await sender.setUp(world.device());
    const started = sender.start('mic');
    await world.heldCount(1);
    await sender.stop('mic');
    for (const h of world.held.splice(0)) h.release();
    await started;
    expect(world.serverProducers.size).toBe(0);
    sender.stopOnAirWatch();
  });
});
