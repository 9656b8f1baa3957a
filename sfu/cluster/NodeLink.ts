/**
 * A controller's connection to one SFU node's control endpoint (socket.io client): typed calls
 * with a timeout that reject with the node's own SfuError code, the node's events, and its
 * load reports. A link that drops is done: a node that comes back is a new node (new epoch).
 */
import { io, type Socket } from 'socket.io-client';
import { TypedEmitter } from '../../common/TypedEmitter';
import { SfuError } from '../errors';
import type { SfuEvents } from '../types';
import type { CallResult, ControllerToNode, NodeLoad, NodeMethod, NodeToController } from '../node/protocol';

const CALL_TIMEOUT_MS = 10_000;

type LinkEvents = {
  load: [NodeLoad];
  sfuEvent: [keyof SfuEvents, unknown];
  down: [string];
};

export class NodeLink extends TypedEmitter<LinkEvents> {
  readonly nodeId: string;
  readonly epoch: string;
  readonly #socket: Socket<NodeToController, ControllerToNode>;
  #down = false;
  load: NodeLoad | null = null;

  private constructor(nodeId: string, epoch: string, socket: Socket<NodeToController, ControllerToNode>) {
    super();
    this.nodeId = nodeId;
    this.epoch = epoch;
    this.#socket = socket;
    socket.on('load', (load) => {
      this.load = load;
      this.safeEmit('load', load);
    });
    socket.on('sfuEvent', (name, payload) => this.safeEmit('sfuEvent', name, payload));
    socket.on('disconnect', (reason) => this.#markDown(reason));
  }

  /** Connects (the secret goes in the handshake's auth, not the URL); rejects if refused. */
  static connect(url: string, nodeId: string, epoch: string, secret: string, timeoutMs = 5_000): Promise<NodeLink> {
    const socket: Socket<NodeToController, ControllerToNode> = io(url, {
      transports: ['websocket'],
      auth: { secret },
      reconnection: false,
      forceNew: true,
      timeout: timeoutMs,
    });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(new NodeLink(nodeId, epoch, socket)));
      socket.once('connect_error', (err) => {
        socket.close();
        reject(err);
      });
    });
  }

  get down(): boolean {
    return this.#down;
  }

  #markDown(reason: string): void {
    if (this.#down) return;
    this.#down = true;
    this.safeEmit('down', reason);
  }

  async call<T = unknown>(method: NodeMethod, ...args: unknown[]): Promise<T> {
    if (this.#down) throw new SfuError('unavailable', `SFU node ${this.nodeId} is down`);
    let res: CallResult;
    try {
      res = (await this.#socket.timeout(CALL_TIMEOUT_MS).emitWithAck('call', method, args)) as CallResult;
    } catch {
      throw new SfuError('unavailable', `SFU node ${this.nodeId} did not answer ${method}`);
    }
    if (res.ok) return res.result as T;
    if (res.error.code === 'internal') throw new Error(`SFU node ${this.nodeId}: ${res.error.message}`);
    throw new SfuError(res.error.code, res.error.message);
  }

  close(): void {
    this.#down = true;
    this.#socket.close();
  }
}
