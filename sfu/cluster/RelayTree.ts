/**
 * The distribution tree of one origin room across SFU nodes. The root is the node where the
 * origin lives; every other member holds a replica room fed by one PipeTransport pair from its
 * parent. A node feeds at most `fanout` children: past that, new members hang below existing
 * ones, which then relay (origin → relay nodes → edge nodes).
 *
 * In a cluster of signaling processes the tree lives in Redis (TopologyStore: its ATTACH script
 * applies `chooseParent`'s rule atomically, DETACH removes a subtree once); this class is each
 * process's view of it (`from`), and the rule's reference.
 */
export interface TreeMember {
  nodeId: string;
  parent: string | null;
  children: Set<string>;
  depth: number;
  /** Pipe ends of the link from the parent: `up` on the parent, `down` on this node. */
  link: { up: string; down: string } | null;
  /** Producers present on this member (being) recreated from the parent, by producer id. */
  producers: Map<string, Promise<void>>;
  /** Settles when the replica room and its link exist. */
  ready: Promise<void>;
}

export class RelayTree {
  readonly originRoomId: string;
  readonly group: string;
  readonly root: string;
  readonly members = new Map<string, TreeMember>();

  constructor(originRoomId: string, group: string, root: string) {
    this.originRoomId = originRoomId;
    this.group = group;
    this.root = root;
    this.members.set(root, { nodeId: root, parent: null, children: new Set(), depth: 0, link: null, producers: new Map(), ready: Promise.resolve() });
  }

  /** A view of a shared tree, from its members' records (any order). */
  static from(originRoomId: string, group: string, records: { node: string; parent: string; depth: number; up?: string; down?: string }[]): RelayTree | null {
    const root = records.find((r) => r.parent === '');
    if (!root) return null;
    const tree = new RelayTree(originRoomId, group, root.node);
    for (const r of [...records].sort((a, b) => a.depth - b.depth)) {
      if (r.parent === '' || !tree.members.has(r.parent)) continue;
      const m = tree.add(r.node, r.parent, async () => undefined);
      if (r.up && r.down) m.link = { up: r.up, down: r.down };
    }
    return tree;
  }

  /**
   * Where a new member attaches: the shallowest member with a free slot (fewest children first,
   * then by name), alive and fed through alive members only.
   */
  chooseParent(fanout: number, alive: (nodeId: string) => boolean): string | null {
    const fed = (m: TreeMember | undefined): boolean => !!m && alive(m.nodeId) && (m.parent === null || fed(this.members.get(m.parent)));
    let best: TreeMember | null = null;
    for (const m of this.members.values()) {
      if (m.children.size >= fanout || !fed(m)) continue;
      const better =
        !best ||
        m.depth < best.depth ||
        (m.depth === best.depth && (m.children.size < best.children.size || (m.children.size === best.children.size && m.nodeId < best.nodeId)));
      if (better) best = m;
    }
    return best?.nodeId ?? null;
  }

  add(nodeId: string, parent: string, ready: (m: TreeMember) => Promise<void>): TreeMember {
    const p = this.members.get(parent)!;
    const member: TreeMember = { nodeId, parent, children: new Set(), depth: p.depth + 1, link: null, producers: new Map(), ready: Promise.resolve() };
    p.children.add(nodeId);
    this.members.set(nodeId, member);
    member.ready = ready(member);
    return member;
  }

  /** Removes a member and everything below it; returns the removed members, top first. */
  detach(nodeId: string): TreeMember[] {
    const top = this.members.get(nodeId);
    if (!top || top.parent === null) return [];
    this.members.get(top.parent)?.children.delete(nodeId);
    const removed: TreeMember[] = [];
    const walk = (m: TreeMember): void => {
      removed.push(m);
      this.members.delete(m.nodeId);
      for (const c of m.children) {
        const child = this.members.get(c);
        if (child) walk(child);
      }
    };
    walk(top);
    return removed;
  }

  /** Depth of the deepest member (0: the origin alone). */
  get depth(): number {
    let d = 0;
    for (const m of this.members.values()) d = Math.max(d, m.depth);
    return d;
  }
}
