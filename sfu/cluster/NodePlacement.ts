/**
 * Where a cluster puts things, by the nodes' load (sfu/placement.ts, orderNodes): a new origin on
 * the least-loaded node; a new viewer on the first node, in orderNodes' order, that takes it
 * (nodes already serving the meeting first). On a node other than the origin's, the origin's
 * room is opened there as a replica first, for the viewer's edge to be fed from.
 */
import { SfuError } from '../errors';
import { orderNodes } from '../placement';
import type { NodeDirectory } from './NodeDirectory';
import type { OriginRecord } from './TopologyStore';

export class NodePlacement {
  readonly #nodes: NodeDirectory;
  #refusals = 0;

  constructor(nodes: NodeDirectory) {
    this.#nodes = nodes;
  }

  /** Viewers refused because every node was at capacity. */
  get refusals(): number {
    return this.#refusals;
  }

  /** The node for a new origin: the least loaded (any live node if none has reported yet), null if none is alive. */
  leastLoaded(): string | null {
    const alive = this.#nodes.aliveIds();
    const order = orderNodes(alive.map((nodeId) => ({ nodeId, ...this.#nodes.load(nodeId), hasMeeting: false })));
    return order[0] ?? this.#nodes.aliveIds()[0] ?? null;
  }

  /**
   * Places a viewer of an origin on a node: the node and its local edge room id. `serving` are
   * the nodes where the meeting already is. Throws SfuError('unavailable') when every node refuses.
   */
  async placeViewer(rec: OriginRecord, serving: Set<string>): Promise<{ nodeId: string; localId: string }> {
    const order = orderNodes(this.#nodes.aliveIds().map((nodeId) => ({ nodeId, ...this.#nodes.load(nodeId), hasMeeting: serving.has(nodeId) })));
    for (const nodeId of order) {
      try {
        const link = this.#nodes.link(nodeId);
        // The origin's room on this node: the origin itself, or a replica fed from the tree.
        if (nodeId !== rec.node) await link.call('openRoom', rec.room, rec.group);
        const localId = await link.call('placeViewer', rec.room);
        this.#nodes.placed(nodeId);
        return { nodeId, localId };
      } catch (error) {
        if (!(error instanceof SfuError) || error.code !== 'unavailable') throw error;
      }
    }
    this.#refusals += 1;
    throw new SfuError('unavailable', 'every SFU node is at capacity');
  }
}
