/**
 * The national audio in breakouts: held (its consumers paused) unless the national host speaks
 * to all, or the breakout shows the national session (nationalFallback.ts). The hold rule is
 * `isHeld`; `applyHold` brings one kept consumer in line with it (a move, a reconcile); and
 * `applyHolds` brings every local participant's national audio in line after speak-to-all changed
 * (or a resync), **beside the meeting's event queue, single-flight with a rerun flag** (why: at
 * `applyHolds`).
 */
import type { Logger } from '../../common/log';
import { detached } from '../../common/SerialQueue';
import type { SfuControl } from '../../sfu/types';
import type { Breakouts, PublishedProducer } from '../store/types';
import { FANOUT_CONCURRENCY, forEachLimited } from './concurrency';
import { MAIN } from './MeetingSession';
import type { Peer } from './Peer';

/** Holding or releasing the national audio taking longer than this is logged. */
const HOLDS_SLOW_MS = 5_000;

/** What the holds read of the meeting (Meeting implements it). */
export interface HoldsMeeting {
  readonly sfu: SfuControl;
  readonly log: Logger;
  readonly peers: ReadonlyMap<string, Peer>;
  readonly published: ReadonlyMap<string, PublishedProducer>;
  readonly breakouts: Breakouts | null;
  readonly fallback: { showsNational(sessionKey: string): boolean };
  readonly closed: boolean;
}

export class NationalAudioHolds {
  readonly #meeting: HoldsMeeting;
  /** The holds being applied beside the queue (applyHolds), and whether to run them again after. */
  #holds: Promise<void> | null = null;
  #holdsAgain = false;

  constructor(meeting: HoldsMeeting) {
    this.#meeting = meeting;
  }

  /**
   * National audio stays paused in breakouts unless the national host speaks to all, or the
   * breakout shows the national session (nothing of its own on air).
   */
  isHeld(peer: Peer, producer: PublishedProducer): boolean {
    const m = this.#meeting;
    return (
      peer.sessionKey !== MAIN &&
      producer.national &&
      producer.kind === 'audio' &&
      !m.breakouts?.speakToAll &&
      !m.fallback.showsNational(peer.sessionKey)
    );
  }

  /** Pauses or resumes a kept consumer according to the hold rule. */
  async applyHold(peer: Peer, consumerId: string, producer: PublishedProducer): Promise<void> {
    // Closed meanwhile (a move, the producer gone): nothing to hold.
    if (!peer.consumers.has(consumerId)) return;
    const held = this.isHeld(peer, producer);
    if (held === peer.held.has(consumerId)) return;
    if (held) {
      peer.held.add(consumerId);
      await this.#meeting.sfu.pauseConsumer(consumerId);
    } else {
      peer.held.delete(consumerId);
      await this.#meeting.sfu.resumeConsumer(consumerId);
    }
  }

  /**
   * Speak-to-all changed (or a resync): hold or release the national audio for every local
   * participant, **beside the event queue, not in it**. With a whole audience that is one SFU
   * call per teacher, and an SFU slow to answer (a loaded worker) must not hold up the meeting's
   * next events. Runs one at a time: a change meanwhile runs it again when it ends. Each consumer
   * is decided when its turn comes (`applyHold` reads the hold rule then), and a consumer's
   * pause and resume go to the SFU in the order they were decided, so the last decision wins.
   * Resolves when the holds match the meeting as it was when this call was made.
   */
  applyHolds(): Promise<void> {
    if (this.#holds) {
      this.#holdsAgain = true;
      return this.#holds;
    }
    const run = detached(async () => {
      const started = Date.now();
      let rounds = 0;
      do {
        this.#holdsAgain = false;
        rounds += 1;
        await this.#applyHoldsOnce();
      } while (this.#holdsAgain && !this.#meeting.closed);
      const ms = Date.now() - started;
      if (ms > HOLDS_SLOW_MS) this.#meeting.log.warn({ ms, rounds }, 'holding or releasing the national audio was slow (the SFU answered late)');
    });
    this.#holds = run.finally(() => {
      this.#holds = null;
    });
    return this.#holds;
  }

  async #applyHoldsOnce(): Promise<void> {
    const m = this.#meeting;
    const work: [Peer, string, PublishedProducer][] = [];
    for (const peer of m.peers.values()) {
      for (const [consumerId, producerId] of peer.consumers) {
        const producer = m.published.get(producerId);
        if (producer?.national && producer.kind === 'audio') work.push([peer, consumerId, producer]);
      }
    }
    await forEachLimited(work, FANOUT_CONCURRENCY, async ([peer, consumerId, producer]) => {
      await this.applyHold(peer, consumerId, producer).catch((error: unknown) => {
        if (peer.consumers.has(consumerId)) m.log.warn({ peer: peer.userId, consumerId, err: String(error) }, 'holding or releasing a consumer failed');
      });
    });
  }
}
