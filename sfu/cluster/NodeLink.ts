/**
 * A controller's connection to one SFU node's control endpoint (socket.io client): typed calls
 * with a timeout that reject with the node's own SfuError code, the node's events, and its
 * load reports. A link that drops is done: a node that comes back is a new node (new epoch).
 */
import { randomBytes } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { TypedEmitter } from '../../common/TypedEmitter';
import { SfuError } from '../errors';
import type { SfuEvents } from '../types';
import {
  proof,
  proofMatches,
  type CallResult,
  type ControllerToNode,
  type NodeArgs,
  type NodeLoad,
  type NodeMethod,
  type NodeResult,
  type NodeToController,
} from '../node/protocol';

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

  /**
   * Connects with a proof of the secret (never the secret itself), and resolves only once the
   * node has proved it holds the secret too; rejects if either proof fails or time runs out.
   */
  static connect(url: string, nodeId: string, epoch: string, secret: string, timeoutMs = 5_000, controller?: string): Promise<NodeLink> {
    const nonce = randomBytes(18).toString('base64url');
    const ts = Date.now();
    const socket: Socket<NodeToController, ControllerToNode> = io(url, {
      transports: ['websocket'],
      auth: { nonce, ts, mac: proof(secret, 'controller', nonce, ts), ...(controller ? { controller } : {}) },
      reconnection: false,
      forceNew: true,
      timeout: timeoutMs,
    });
    return new Promise((resolve, reject) => {
      const fail = (error: Error): void => {
        clearTimeout(timer);
        socket.close();
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error(`SFU node at ${url} did not prove the secret in time`)), timeoutMs);
      // Listening for load and events starts with the link, so nothing sent after hello is lost.
      socket.once('hello', (hello) => {
        if (!proofMatches(proof(secret, 'node', nonce, ts), hello?.mac) || hello.nodeId !== nodeId) {
          return fail(new Error(`SFU node at ${url} failed to prove the secret`));
        }
        clearTimeout(timer);
        resolve(new NodeLink(nodeId, epoch, socket));
      });
      socket.once('connect_error', (err) => fail(err));
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

  /**
   * Calls one SfuNodeControl method on the node: its arguments and result are the interface's
   * (the node checks the arguments again at its boundary). The node is trusted once it has proved
   * the secret, so its result is not validated again here.
   */
  async call<M extends NodeMethod>(method: M, ...args: NodeArgs<M>): Promise<NodeResult<M>> {
    if (this.#down) throw new SfuError('unavailable', `SFU node ${this.nodeId} is down`);
    let res: CallResult;
    try {
      res = (await this.#socket.timeout(CALL_TIMEOUT_MS).emitWithAck('call', method, args)) as CallResult;
    } catch {
      throw new SfuError('unavailable', `SFU node ${this.nodeId} did not answer ${method}`);
    }
    if (res.ok) return res.result as NodeResult<M>;
    if (res.error.code === 'internal') throw new Error(`SFU node ${this.nodeId}: ${res.error.message}`);
    throw new SfuError(res.error.code, res.error.message);
  }

  close(): void {
    this.#down = true;
    this.#socket.close();
  }
}
