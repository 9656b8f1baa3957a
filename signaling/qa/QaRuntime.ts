/**
 * A meeting's questions, polls and reactions as one signaling node serves them: the rate limits of
 * its askers, which of its hosts watch what, and the throttled feeds (qaFeeds.ts). One per
 * meeting per node, opened with the meeting (socketServer's registry hook) and closed with it.
 */
import type { Meeting } from '../meeting/Meeting';
import type { Peer } from '../meeting/Peer';
import { TokenBucket } from '../rateLimit';
import { DEFAULT_QA_OPTIONS, type QaOptions } from './qaConfig';
import { QaFeeds } from './qaFeeds';
import { NO_QA_RECORDER, type QaRecorder } from './QaRecorder';
import { isQaHost, type HostWatch } from './qaHosts';


export class QaRuntime {
  readonly meeting: Meeting;
  readonly options: QaOptions;
  readonly recorder: QaRecorder;
  /** Host sockets of this node that asked for summaries, by socket id. */
  readonly watchers = new Map<string, HostWatch>();
  readonly feeds: QaFeeds;
  readonly #askBuckets = new Map<string, TokenBucket>();

  constructor(meeting: Meeting, recorder: QaRecorder, options: QaOptions) {
    this.meeting = meeting;
    this.options = options;
    this.recorder = recorder;
    this.feeds = new QaFeeds(this);
  }

  /** 0, or the ms until this user may ask again. */
  takeAskToken(userId: string): number {
    let bucket = this.#askBuckets.get(userId);
    if (!bucket) {
      bucket = new TokenBucket(this.options.askPerMin / 60, this.options.askBurst);
      this.#askBuckets.set(userId, bucket);
    }
    return bucket.take();
  }

  /** The host sockets still watching: the peer is here, on that socket, and still a host. */
  liveWatchers(): [string, HostWatch, Peer][] {
    const out: [string, HostWatch, Peer][] = [];
    if (this.watchers.size === 0) return out;
    const bySocket = new Map<string, Peer>();
    for (const peer of this.meeting.peers.values()) bySocket.set(peer.socketId, peer);
    for (const [socketId, watch] of this.watchers) {
      const peer = bySocket.get(socketId);
      if (!peer || !isQaHost(peer)) this.watchers.delete(socketId);
      else out.push([socketId, watch, peer]);
    }
    return out;
  }

  close(): void {
    this.feeds.close();
    this.watchers.clear();
  }
}


const runtimes = new WeakMap<Meeting, QaRuntime>();

/** Opens the meeting's runtime on this node (once); the meeting closes it. */
export function openQa(meeting: Meeting, recorder: QaRecorder = NO_QA_RECORDER, options: QaOptions = DEFAULT_QA_OPTIONS): QaRuntime {
  let rt = runtimes.get(meeting);
  if (!rt) {
    rt = new QaRuntime(meeting, recorder, options);
    runtimes.set(meeting, rt);
    const created = rt;
    meeting.onClose.push(() => created.close());
  }
  return rt;
}

export function qaOf(meeting: Meeting): QaRuntime {
  return runtimes.get(meeting) ?? openQa(meeting);
}
